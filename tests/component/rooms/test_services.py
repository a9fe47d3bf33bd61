"""The room's services: one command table (core service first), the hooks a room calls
(joins, leaves, the edit gate, the driver gate, the recorder's notes), and Rooms wiring the
services from its list."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Text

from pairbook.auth import Role, User
from pairbook.flag import Flag
from pairbook.kernel.service import KernelService
from pairbook.mob.service import MobService
from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.messages import encode_awareness, encode_sync_step1, encode_sync_update
from pairbook.record.service import RecordingService
from pairbook.rooms import (
    CloseCode,
    Peer,
    RoomPolicy,
    Rooms,
    TokenBucket,
    memory_channel_pair,
)
from pairbook.rooms.services import MOB, ROOM_SERVICES, ServiceContext, ServiceSpec
from pairbook.service import Arg, ArgType, Command, CommandTable, Member
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId
from support.notebooks import write_notebook
from support.servicekit import service_kit, settle
from support.services import GateService, NotesService


class Echo:
    """A service with one editor-only, driver-only command and one that only reads."""

    def __init__(self) -> None:
        self.commands = TABLE.bind(self)
        self.seen: list[tuple[str, Any]] = []

    async def echo(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        self.seen.append((member.user.id, body["text"]))
        return {"text": body["text"], "by": member.user.id}

    async def peek(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        return {"seen": len(self.seen)}

    async def start(self) -> None: ...

    async def close(self) -> None: ...


TABLE = CommandTable.of(
    "echo",
    [
        Command("echo", Echo.echo, role=Role.EDITOR, driver_only=True,
                args=(Arg("text", ArgType.STRING, doc="what to echo"),)),
        Command("peek", Echo.peek, recorded=False),
    ],
)  # fmt: skip


class Driver:
    """A driver gate: only `driver` may send driver-only commands."""

    def __init__(self, driver: str) -> None:
        self.driver = driver
        self.commands: CommandTable[Any] = CommandTable.of("driver", [])

    def driver_gate(self, member: Member, command: Command[Any]) -> str | None:
        return None if member.user.id == self.driver else f"only {self.driver} may {command.name}"

    async def start(self) -> None: ...

    async def close(self) -> None: ...


async def test_a_room_answers_its_core_commands_and_refuses_unknown_ones(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        ana = await kit.join("ana", Role.VIEWER)
        who = await ana.ok("whoami")
        assert who["user"]["id"] == "ana"
        assert who["role"] == "viewer"
        assert who["room"] == kit.room.id
        assert (await ana.ok("presence")) == {"users": []}
        assert await ana.refused("nope") == "unknown command 'nope'"


async def test_commands_go_through_one_table_role_arguments_and_notes(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        echo, notes = Echo(), NotesService()
        kit.room.attach([echo, notes])
        ana = await kit.join("ana")
        bob = await kit.join("bob", Role.VIEWER)
        assert await ana.ok("echo", text="hi") == {"text": "hi", "by": "ana"}
        assert await bob.refused("echo", text="hi") == "viewers cannot send 'echo'"
        assert await ana.refused("echo") == "echo needs 'text': what to echo"
        assert await bob.ok("peek") == {"seen": 1}
        commands = [data["command"] for kind, _, data in notes.notes if kind == "command"]
        assert commands == ["echo"]  # refused, unknown and read-only ones are not noted
        with pytest.raises(ValueError, match="declared twice"):
            kit.room.attach([Echo()])


async def test_the_driver_gate_of_a_service_comes_first(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        kit.room.attach([Echo(), Driver("bob")])
        ana = await kit.join("ana")
        bob = await kit.join("bob")
        assert await ana.refused("echo") == "only bob may echo"  # before the arguments
        assert await bob.ok("echo", text="x") == {"text": "x", "by": "bob"}


async def test_join_leave_edit_and_presence_reach_the_services(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        gate, notes = GateService(), NotesService()
        kit.room.attach([gate, notes])
        ana = await kit.join("ana")
        entry = AwarenessEntry(77, 1, {"user": {"name": "Ana"}})
        await kit.room.receive(ana.peer, encode_awareness(encode_awareness_update((entry,))))
        kit.room.leave(ana.peer)
        await settle(kit.room)
        assert gate.joined == [ana.peer.key]
        assert gate.left == [(ana.peer.key, frozenset({77}))]
        kinds = [kind for kind, _, _ in notes.notes]
        assert kinds == ["join", "awareness", "leave"]
        assert notes.notes[-1][2] == {"clients": [77]}
        gate.refusal = "not now"
        assert kit.room.services.edit_refusal(ana.peer) == "not now"


async def test_the_handle_reads_the_room_and_reaches_its_members(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        ana = await kit.join("ana")
        handle = kit.handle
        assert handle.id == kit.room.id
        assert handle.clock() == kit.clock.now
        (member,) = handle.members()
        assert member.user.id == "ana"
        ana.peer.speaks_pairbook = True
        handle.notify_member(member, {"event": "hello"})
        handle.notify({"event": "everyone"})
        await settle(kit.room)
        ana.read()
        assert [e["event"] for e in ana.events] == ["hello", "everyone"]


async def test_rooms_wire_the_services_from_their_list(tmp_path: Path) -> None:
    write_notebook(tmp_path / "demo.ipynb")
    built: list[ServiceContext] = []

    def echo_service(context: ServiceContext) -> Echo:
        built.append(context)
        return Echo()

    services = [MOB, ServiceSpec("echo", echo_service, TABLE)]
    async with (
        MemoryStore() as store,
        Rooms(tmp_path, store, RoomPolicy(), services=services) as rooms,
    ):
        entry = await rooms.open(RoomId("demo.ipynb"))
        assert [type(s) for s in entry.services] == [MobService, Echo]
        assert entry.service(MobService) is entry.services[0]
        assert entry.find(KernelService) is None
        with pytest.raises(LookupError, match="has no RecordingService"):
            entry.service(RecordingService)
        assert built[0].room is entry.room
        assert {"whoami", "mob-join", "echo"} <= entry.room.services.commands.names
        assert "run" not in entry.room.services.commands.names


class Waiting(Echo):
    """A service whose loop has nothing to do until it is `wanted`."""

    def __init__(self) -> None:
        super().__init__()
        self.wanted = Flag()
        self.runs = 0

    async def run(self) -> None:
        self.runs += 1
        await asyncio.Event().wait()  # forever, until the room ends


async def test_a_service_loop_starts_once_wanted_and_not_after_its_room_closed(
    tmp_path: Path,
) -> None:
    write_notebook(tmp_path / "demo.ipynb")
    write_notebook(tmp_path / "other.ipynb")
    made: list[Waiting] = []

    def waiting(context: ServiceContext) -> Waiting:
        made.append(Waiting())
        return made[-1]

    services = [ServiceSpec("echo", waiting, TABLE)]
    async with (
        MemoryStore() as store,
        Rooms(tmp_path, store, RoomPolicy(), services=services) as rooms,
    ):
        entry = await rooms.open(RoomId("demo.ipynb"))
        await asyncio.sleep(0)
        assert entry.tasks == []  # nothing parked while it is not wanted
        made[0].wanted.set()
        (task,) = entry.tasks
        await asyncio.sleep(0)
        assert made[0].runs == 1
        other = await rooms.open(RoomId("other.ipynb"))
        await rooms.close_room(other.room.id, CloseCode.GOING_AWAY, "moved")
        made[1].wanted.set()  # its room is gone: no loop
        assert other.tasks == []
        assert not task.done()


async def test_one_observer_of_the_cells_serves_the_mob_and_the_kernel_state_view(
    tmp_path: Path,
) -> None:
    write_notebook(tmp_path / "demo.ipynb")
    async with MemoryStore() as store, Rooms(tmp_path, store, RoomPolicy()) as rooms:
        entry = await rooms.open(RoomId("demo.ipynb"))
        room = entry.room
        view = entry.service(KernelService).runner.state
        assert view is not None
        assert room.cells.subscribed
        assert len(room.cells) == 2
        ours, _theirs = memory_channel_pair()
        ana = Peer("ana-1", User(UserId("ana"), "Ana", "#336699"), Role.EDITOR, ours,
                   queue_limit=64, limiter=TokenBucket(1e9, 1 << 30))  # fmt: skip
        room.join(ana)
        await room.receive(ana, encode_sync_step1(b"\x00"))
        client: Doc[Any] = Doc()
        client.apply_update(room.doc.get_update())
        before = client.get_state()
        ysource = client.get("cells", type=Array)[1]["source"]
        assert isinstance(ysource, Text)
        ysource += "0"  # one keystroke into code-0
        await room.receive(ana, encode_sync_update(client.get_update(before)))
        await room.settle()
        assert entry.service(MobService).changed == {"ana": {"code-0"}}
        assert view.editors["code-0"]["id"] == "ana"
        room.leave(ana)


def test_every_room_gets_the_kernel_the_mob_the_recording_and_the_check() -> None:
    assert [spec.name for spec in ROOM_SERVICES] == ["kernel", "mob", "record", "check"]
