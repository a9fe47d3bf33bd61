"""The one command path of a room whose services run on another process (rooms.ownership):
its core answers here, everything else goes to the owner with the member who sent it, and
the owner decides. Two real rooms in one process stand for two processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc

from pairbook.auth import Role
from pairbook.errors import ClusterError, StoreError
from pairbook.rooms.ownership import LOG_FAILED, MOVING, answer_command
from pairbook.service import Command, CommandTable, Member
from pairbook.types import UserId
from support.ownership import MemoryOwnership
from support.servicekit import service_kit


class Counter:
    """A service on the owner: a command editors may send, answered with who sent it."""

    def __init__(self) -> None:
        self.commands = TABLE.bind(self)

    async def bump(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        return {"by": member.user.id, "role": member.role.value}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def spill(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        raise StoreError("cannot read the log at postgresql://pairbook@db.internal:5432/x")


TABLE = CommandTable.of(
    "counter",
    [Command("bump", Counter.bump, role=Role.EDITOR), Command("spill", Counter.spill)],
)


async def test_a_command_goes_to_the_owner_as_its_member_and_the_core_answers_here(
    tmp_path: Path,
) -> None:
    async with service_kit(tmp_path / "a") as owner, service_kit(tmp_path / "b") as here:
        owner.room.attach([Counter()])
        ownership = MemoryOwnership(owner.room)
        here.room.ownership = ownership
        bo = await here.join("bo", Role.EDITOR)
        assert await bo.command("bump") == {
            "id": 1, "ok": True, "result": {"by": "bo", "role": "editor"}
        }  # fmt: skip
        assert (await bo.ok("whoami"))["user"]["id"] == "bo"
        assert [body["command"] for _, body in ownership.forwarded] == ["bump"]


async def test_the_owner_refuses_what_the_member_may_not_do(tmp_path: Path) -> None:
    async with service_kit(tmp_path / "a") as owner, service_kit(tmp_path / "b") as here:
        owner.room.attach([Counter()])
        here.room.ownership = MemoryOwnership(owner.room)
        vi = await here.join("vi", Role.VIEWER)
        assert await vi.refused("bump") == "viewers cannot send 'bump'"


async def test_no_owner_now_is_a_clear_error(tmp_path: Path) -> None:
    async with service_kit(tmp_path / "b") as here:
        here.room.ownership = MemoryOwnership(None)
        bo = await here.join("bo", Role.EDITOR)
        assert "no owning process right now" in await bo.refused("bump")


async def test_a_forwarded_command_the_room_here_does_not_run_is_never_forwarded_again(
    tmp_path: Path,
) -> None:
    async with service_kit(tmp_path / "b") as here:
        here.room.ownership = MemoryOwnership(None)
        member = Member("k", (await here.join("bo")).peer.user, Role.EDITOR)
        reply = await answer_command(
            here.room, member, {"command": "bump", "id": 7}, forwarded=True
        )
        assert reply == {"id": 7, "ok": False, "error": MOVING}


async def test_a_service_cannot_write_where_the_room_is_not_owned(tmp_path: Path) -> None:
    async with service_kit(tmp_path / "b") as here:
        here.room.ownership = MemoryOwnership(None)

        def edit(doc: Doc[Any]) -> None:
            doc.get("cells", type=Array)

        with pytest.raises(ClusterError, match="no longer runs room"):
            await here.handle.apply_server_edit(edit, UserId("pairbook:server"))


async def test_a_failed_log_is_answered_without_naming_the_database(tmp_path: Path) -> None:
    async with service_kit(tmp_path / "a") as owner, service_kit(tmp_path / "b") as here:
        owner.room.attach([Counter()])
        here.room.ownership = MemoryOwnership(owner.room)
        bo = await here.join("bo", Role.EDITOR)
        assert await bo.refused("spill") == LOG_FAILED  # forwarded, answered by the owner
        ann = await owner.join("ann", Role.EDITOR)
        assert await ann.refused("spill") == LOG_FAILED  # run where the member is
