"""The command table: one dispatch path (unknown, driver gate, role, arguments, handler,
recorder note), declared rows, merged tables and their JSON form."""

from __future__ import annotations

from typing import Any

import pytest

from pairbook.auth import Role, User
from pairbook.service import Arg, ArgType, ArgumentError, Command, CommandTable, Member
from pairbook.types import UserId


class Counter:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def bump(self, member: Member, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((member.user.id, args))
        return {"count": len(self.calls)}


def member(role: Role = Role.EDITOR, uid: str = "ada") -> Member:
    return Member(f"{uid}-1", User(UserId(uid), uid.title(), "#123456"), role)


def positive(value: Any) -> str | None:
    return None if value > 0 else "bump's 'by' must be positive"


TABLE = CommandTable.of(
    "counter",
    [
        Command("bump", Counter.bump, role=Role.EDITOR, driver_only=True,
                args=(Arg("by", ArgType.INTEGER, validator=positive, doc="a step"),
                      Arg("label", ArgType.STRING, required=False))),
        Command("peek", Counter.bump, recorded=False),
        Command("reset", Counter.bump, role=Role.OWNER, refusal="only the owner can reset"),
    ],
)  # fmt: skip


async def test_a_bound_table_calls_the_handler_on_its_service() -> None:
    counter = Counter()
    table = TABLE.bind(counter)
    assert await table.dispatch(member(), {"command": "bump", "by": 2}) == {"count": 1}
    assert counter.calls == [("ada", {"command": "bump", "by": 2})]


async def test_an_unknown_command_is_a_clear_error() -> None:
    table = TABLE.bind(Counter())
    with pytest.raises(LookupError, match="unknown command 'nope'"):
        await table.dispatch(member(), {"command": "nope"})
    with pytest.raises(LookupError, match="unknown command None"):
        await table.dispatch(member(), {})


async def test_the_minimum_role_is_checked_with_the_rows_message() -> None:
    table = TABLE.bind(Counter())
    with pytest.raises(PermissionError, match="viewers cannot send 'bump'"):
        await table.dispatch(member(Role.VIEWER), {"command": "bump", "by": 1})
    with pytest.raises(PermissionError, match="only the owner can reset"):
        await table.dispatch(member(Role.EDITOR), {"command": "reset"})
    assert await table.dispatch(member(Role.OWNER), {"command": "reset"}) == {"count": 1}
    assert await table.dispatch(member(Role.VIEWER), {"command": "peek"}) == {"count": 2}


async def test_arguments_are_checked_before_the_handler_and_named() -> None:
    counter = Counter()
    table = TABLE.bind(counter)
    with pytest.raises(ArgumentError, match="bump needs 'by': a step") as missing:
        await table.dispatch(member(), {"command": "bump"})
    assert missing.value.argument == "by"
    with pytest.raises(ArgumentError, match="bump needs 'by'"):
        await table.dispatch(member(), {"command": "bump", "by": True})  # a bool is no integer
    with pytest.raises(ArgumentError, match="must be positive"):
        await table.dispatch(member(), {"command": "bump", "by": -1})
    with pytest.raises(ArgumentError, match="bump's 'label' must be a string"):
        await table.dispatch(member(), {"command": "bump", "by": 1, "label": 3})
    assert counter.calls == []
    await table.dispatch(member(), {"command": "bump", "by": 1, "label": None})
    assert len(counter.calls) == 1


async def test_the_driver_gate_comes_first_and_only_for_driver_only_rows() -> None:
    table = TABLE.bind(Counter())
    seen: list[str] = []

    def gate(who: Member, command: Command[Any]) -> str | None:
        seen.append(command.name)
        return "mob mode: only the driver bumps"

    with pytest.raises(PermissionError, match="only the driver bumps"):
        await table.dispatch(member(), {"command": "bump"}, gate=gate)  # before the arguments
    await table.dispatch(member(), {"command": "peek"}, gate=gate)
    assert seen == ["bump"]


async def test_a_control_rows_own_check_lets_through_whose_work_it_stops_and_no_one_else() -> None:
    class Kernel(Counter):
        running_for = "ada"  # whose run it executes, by its own state

    def theirs(kernel: Kernel, who: Member) -> bool:
        return who.user.id == kernel.running_for

    stop = Command("stop", Kernel.bump, role=Role.EDITOR, control=True, own=theirs)
    kernel = Kernel()
    table = CommandTable.of("kernel", [stop]).bind(kernel)

    def gate(who: Member, command: Command[Any]) -> str | None:
        return "mob mode: only the driver stops it"

    assert await table.dispatch(member(uid="ada"), {"command": "stop"}, gate=gate)
    with pytest.raises(PermissionError, match="only the driver stops it"):
        await table.dispatch(member(uid="bo"), {"command": "stop"}, gate=gate)
    kernel.running_for = "bo"
    with pytest.raises(PermissionError, match="only the driver stops it"):
        await table.dispatch(member(uid="ada"), {"command": "stop"}, gate=gate)
    assert [who for who, _ in kernel.calls] == ["ada"]


async def test_only_recorded_commands_that_succeeded_are_noted() -> None:
    table = TABLE.bind(Counter())
    notes: list[tuple[str, str]] = []

    def note(who: Member, args: dict[str, Any]) -> None:
        notes.append((who.user.id, args["command"]))

    await table.dispatch(member(), {"command": "bump", "by": 1}, note=note)
    await table.dispatch(member(), {"command": "peek"}, note=note)
    with pytest.raises(ArgumentError):
        await table.dispatch(member(), {"command": "bump", "by": 0}, note=note)
    with pytest.raises(LookupError):
        await table.dispatch(member(), {"command": "nope"}, note=note)
    assert notes == [("ada", "bump")]


async def test_merged_tables_answer_every_command_and_refuse_a_name_twice() -> None:
    other = CommandTable.of("other", [Command("ping", Counter.bump)])
    merged = CommandTable.merge([TABLE.bind(Counter()), other.bind(Counter())])
    assert merged.names == {"bump", "peek", "reset", "ping"}
    assert "ping" in merged
    assert len(merged) == 4
    ping = merged.get("ping")
    assert ping is not None
    assert ping.service == "other"
    assert await merged.dispatch(member(), {"command": "ping"}) == {"count": 1}
    with pytest.raises(ValueError, match="declared twice"):
        CommandTable.merge([TABLE, TABLE])


async def test_an_unbound_table_does_not_call_handlers() -> None:
    with pytest.raises(RuntimeError, match="not bound"):
        await TABLE.dispatch(member(), {"command": "peek"})


def test_rows_export_as_json() -> None:
    assert TABLE.to_json()[0] == {
        "name": "bump",
        "service": "counter",
        "role": "editor",
        "driver_only": True,
        "control": False,
        "recorded": True,
        "args": [
            {"name": "by", "type": "integer", "required": True},
            {"name": "label", "type": "string", "required": False},
        ],
    }
    assert [c.name for c in TABLE] == ["bump", "peek", "reset"]


def test_a_member_can_edit_unless_a_viewer() -> None:
    assert member(Role.EDITOR).can_edit
    assert not member(Role.VIEWER).can_edit
