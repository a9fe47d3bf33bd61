"""The command table: every pairbook command declared once, as a row — its name, handler,
minimum role, whether only the driver may send it in mob mode, whether the timeline records
it, and its arguments — and ONE dispatch path for all of them:

    unknown → clear error; driver gate (mob mode, driver-only; a control command stopping
    only the member's own work passes) → minimum role →
    arguments (a clear error naming the argument) → handler → recorder note if recorded.

A service declares its rows once, with handlers that take the service as their first
argument, and binds the table to its instance (`TABLE.bind(self)`); the room merges the
bound tables of its services. The same rows are exported to spec/protocol.json.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pairbook.auth import Role
from pairbook.service.port import Member

S = TypeVar("S")
Args = dict[str, Any]
"""A command's body as the client sent it (`command`, `id` and the arguments)."""
Result = dict[str, Any]
Handler = Callable[[S, Member, Args], Awaitable[Result]]
DriverGate = Callable[[Member, "Command[Any]"], str | None]
"""Why this member may not send a driver-only or control command now (mob mode), or None."""
Own = Callable[[S, Member], bool]
"""Whether what a control command stops now is this member's own, by the service's own state."""
Note = Callable[[Member, Args], None]
"""Records a command that did something (the recorder's timeline)."""

ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}


def allows(role: Role, minimum: Role) -> bool:
    """Whether `role` is at least `minimum` (viewer < editor < owner)."""
    return ROLE_RANK[role] >= ROLE_RANK[minimum]


class ArgType(StrEnum):
    """The JSON type of a command argument."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    STRINGS = "string[]"
    ARRAY = "array"
    OBJECT = "object"
    ANY = "any"

    def accepts(self, value: Any) -> bool:
        return _CHECKS[self](value)


_CHECKS: dict[ArgType, Callable[[Any], bool]] = {
    ArgType.STRING: lambda v: isinstance(v, str),
    ArgType.INTEGER: lambda v: isinstance(v, int) and not isinstance(v, bool),
    ArgType.NUMBER: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    ArgType.BOOLEAN: lambda v: isinstance(v, bool),
    ArgType.STRINGS: lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    ArgType.ARRAY: lambda v: isinstance(v, list),
    ArgType.OBJECT: lambda v: isinstance(v, dict),
    ArgType.ANY: lambda v: True,
}


class ArgumentError(ValueError):
    """A command's argument is missing or malformed; names the argument."""

    def __init__(self, command: str, argument: str, message: str) -> None:
        super().__init__(message)
        self.command = command
        self.argument = argument


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a command. `doc` says what it is ("a list of cell ids"); `validator`
    returns why a well-typed value is refused (the error sent back), or None."""

    name: str
    type: ArgType = ArgType.ANY
    required: bool = True
    validator: Callable[[Any], str | None] | None = None
    doc: str = ""

    def check(self, command: str, body: Args) -> None:
        """Raise ArgumentError when the body's value for this argument is not acceptable."""
        if self.name not in body or body[self.name] is None:
            if self.required:
                raise ArgumentError(command, self.name, self._needs(command))
            return
        value = body[self.name]
        if not self.type.accepts(value):
            if self.required:
                raise ArgumentError(command, self.name, self._needs(command))
            what = self.doc or f"a {self.type.value}"
            raise ArgumentError(command, self.name, f"{command}'s {self.name!r} must be {what}")
        if self.validator is not None:
            reason = self.validator(value)
            if reason is not None:
                raise ArgumentError(command, self.name, reason)

    def _needs(self, command: str) -> str:
        return f"{command} needs {self.name!r}: {self.doc or 'a ' + self.type.value}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type.value, "required": self.required}


@dataclass(frozen=True, slots=True)
class Command(Generic[S]):
    """One command, declared once. `refusal` is the error for a member below `role`.
    `driver_only`: in mob mode only the driver sends it; `control` (stopping the kernel or a
    run): in mob mode the driver and the owner, and, when its row's `own` says what it stops
    now is theirs (the run the kernel executes is theirs), that member: the driver gate's
    refusal is waived. `own` reads the service's state in the same step of the event loop as
    the handler that acts on it (a document written by a later flush could lag it)."""

    name: str
    handler: Handler[S]
    role: Role = Role.VIEWER
    driver_only: bool = False
    control: bool = False
    own: Own[S] | None = None
    recorded: bool = True
    args: tuple[Arg, ...] = ()
    refusal: str = ""
    service: str = ""  # filled in by the table the row belongs to

    def refused(self) -> str:
        if self.refusal:
            return self.refusal
        if self.role is Role.OWNER:
            return f"only the owner can send {self.name!r}"
        return f"viewers cannot send {self.name!r}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "service": self.service,
            "role": self.role.value,
            "driver_only": self.driver_only,
            "control": self.control,
            "recorded": self.recorded,
            "args": [arg.to_json() for arg in self.args],
        }


@dataclass(slots=True)
class CommandTable(Generic[S]):
    """A service's commands (`CommandTable("mob", rows)`), bound to the service instance
    with `bind`, or several bound tables merged (`CommandTable.merge`) for a room.

    A bound table shares its rows with the declared one and a merged table holds the tables
    it merged: every room binds and merges its services' tables, and per-room copies of the
    rows were ~4 KB of every room (bench/fanout/roomprofile.py)."""

    service: str
    _rows: dict[str, Command[Any]] = field(default_factory=dict)
    _owner: Any = None  # the service instance the handlers are called with; None: unbound
    _parts: tuple[CommandTable[Any], ...] = ()  # a merged table's tables

    @classmethod
    def of(cls, service: str, commands: Iterable[Command[S]]) -> CommandTable[S]:
        table: CommandTable[S] = cls(service)
        for command in commands:
            name = command.name
            if name in table._rows:
                raise ValueError(f"command {name!r} is declared twice")
            table._rows[name] = replace(command, service=command.service or service)
        return table

    @classmethod
    def merge(cls, tables: Iterable[CommandTable[Any]]) -> CommandTable[Any]:
        """One table answering every command of `tables`; a name declared twice is an error."""
        parts = tuple(part for table in tables for part in table._parts or (table,))
        seen: set[str] = set()
        for part in parts:
            twice = seen.intersection(part._rows)
            if twice:
                raise ValueError(f"command {min(twice)!r} is declared twice")
            seen.update(part._rows)
        return cls("room", {}, None, parts)

    def bind(self, owner: S) -> CommandTable[S]:
        """This table with its handlers called on `owner`."""
        return CommandTable(self.service, self._rows, owner)

    def _find(self, name: str) -> tuple[Command[Any], Any] | None:
        for part in self._parts or (self,):
            command = part._rows.get(name)
            if command is not None:
                return command, part._owner
        return None

    def _commands(self) -> Iterator[Command[Any]]:
        for part in self._parts or (self,):
            yield from part._rows.values()

    def __iter__(self) -> Iterator[Command[Any]]:
        return self._commands()

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def __len__(self) -> int:
        return sum(len(part._rows) for part in self._parts or (self,))

    def get(self, name: str) -> Command[Any] | None:
        found = self._find(name)
        return None if found is None else found[0]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(command.name for command in self._commands())

    async def dispatch(
        self,
        member: Member,
        body: Args,
        *,
        gate: DriverGate | None = None,
        note: Note | None = None,
    ) -> Result:
        """Run one command: raises LookupError (unknown), PermissionError (driver gate,
        role), ArgumentError (a ValueError), or whatever the handler raises."""
        name = body.get("command")
        found = self._find(name) if isinstance(name, str) else None
        if found is None:
            raise LookupError(f"unknown command {name!r}")
        command, owner = found
        if (command.driver_only or command.control) and gate is not None:
            refusal = gate(member, command)
            if refusal is not None:  # waived only where the row's `own` says it is theirs
                own = command.own
                if own is None or owner is None or not own(owner, member):
                    raise PermissionError(refusal)
        if not allows(member.role, command.role):
            raise PermissionError(command.refused())
        for arg in command.args:
            arg.check(command.name, body)
        if owner is None:
            raise RuntimeError(f"the table of {command.service!r} is not bound to its service")
        result = await command.handler(owner, member, body)
        # Only what a command did is recorded: refused and unknown ones would let anyone
        # grow the log at will.
        if command.recorded and note is not None:
            note(member, body)
        return result

    def to_json(self) -> list[dict[str, Any]]:
        return [command.to_json() for command in self._commands()]
