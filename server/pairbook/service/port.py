"""The port between a room's core and the services hanging off it (kernel, mob, recording).

A service sees its room only through a `RoomHandle`: read the document, make a server edit,
reply to or notify a member, notify everyone, list the members, note an event for the
recorder, read the clock. It sees a connection only as a `Member`. The room core sees a
service only as a `RoomService`: its command table, its optional join/leave/edit hooks, and
start/close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from pycrdt import Doc

from pairbook.auth import Role, User
from pairbook.service.cells import CellsObserver
from pairbook.types import RoomId, UserId, value

if TYPE_CHECKING:
    from pairbook.service.commands import CommandTable

Edit = Callable[[Doc[Any]], None]
EditRefusal = str | None
"""Why a member may not edit right now (a human-readable reason), or None when it may."""
T = TypeVar("T")
FencedWrite = Callable[[int | None], Awaitable[T]]
"""A store write of the room's owner, given the token it carries (`fence=`; None: no fence)."""


class OwnerWrite(Protocol):
    """Runs a write only the room's owner may make (see RoomHandle.owner_write)."""

    def __call__(self, write: FencedWrite[T]) -> Awaitable[T]: ...


async def unfenced(write: FencedWrite[T]) -> T:
    """An OwnerWrite for a room nobody else can own (one process, tests): no token."""
    return await write(None)


@value
class Member:
    """What a service sees of one connection in its room."""

    key: str  # the connection's key: stable while it is connected, unique in the room
    user: User
    role: Role
    clients: frozenset[int] = field(default_factory=frozenset)  # its Yjs/awareness client ids
    grant: str = ""  # the id of the grant (token) it came in with ("": none, as in tests)

    @property
    def can_edit(self) -> bool:
        return self.role.can_edit


def member_key(origin: str, key: str) -> str:
    """A connection's key as the processes of a deployment know it: qualified with the
    process it is connected to (a key alone is unique in one process's room only)."""
    return f"{origin}/{key}"


class RoomHandle(Protocol):
    """The narrow handle a service gets to its room."""

    @property
    def id(self) -> RoomId: ...

    @property
    def doc(self) -> Doc[Any]:
        """The room's authoritative document (read it; write only through server edits)."""
        ...

    @property
    def author(self) -> UserId | None:
        """Whose update is being applied right now (for document observers), or None."""
        ...

    @property
    def last_seq(self) -> int:
        """The log position of the newest change the room holds."""
        ...

    @property
    def inflight(self) -> int:
        """Changes applied to the document but not logged yet."""
        ...

    async def apply_server_edit(
        self, edit: Edit, author: UserId, *, protected: bool = False
    ) -> int | None:
        """Make an edit as the server, log it, relay it; returns its log position."""
        ...

    def start_server_edit(
        self, edit: Edit, author: UserId, *, protected: bool = False
    ) -> asyncio.Future[int | None]:
        """Make an edit as the server now; it is logged and relayed in the background, in
        order with every other change. The future has its log position (None: the edit
        changed nothing). An error the edit raised is raised here, once what it wrote is
        on its way to the log."""
        ...

    async def settle(self) -> None:
        """Wait until every change applied so far is logged and relayed."""
        ...

    async def owner_write(self, write: FencedWrite[T]) -> T:
        """Make a store write only the room's owner may make (the recording's events,
        checkpoints and retention): `write` gets the owner lease's token to carry as
        `fence=` (None with one process). Raises ClusterError, writing nothing, once this
        process no longer owns the room; a write the store refused (FencedError: a later
        owner took the room) is logged and loses the room here, as a refused log append
        does (its peers reconnect to the new owner), then raised."""
        ...

    def members(self) -> list[Member]:
        """Who is connected now."""
        ...

    def observe_cells(self, observer: CellsObserver) -> Callable[[], None]:
        """Have `observer` see every change to the cells, read once for all the room's
        services (one deep observer of them); returns the function that stops it."""
        ...

    def notify_member(self, member: Member, event: dict[str, Any]) -> None:
        """Send a pairbook event to one member (if its client speaks pairbook commands)."""
        ...

    def notify(self, event: dict[str, Any]) -> None:
        """Send a pairbook event to every member whose client speaks pairbook commands."""
        ...

    def note(self, kind: str, user: UserId, data: dict[str, Any]) -> None:
        """Tell the room's recorder about an event (a no-op when nothing records)."""
        ...

    def clock(self) -> float:
        """The room's wall clock (seconds since the epoch)."""
        ...


@runtime_checkable
class RoomNotes(Protocol):
    """What the room core tells its recorder (a service provides it: the recording)."""

    def note(self, kind: str, user: str, data: dict[str, Any]) -> None:
        """An event of the timeline: `kind` is one of pairbook.record's EventKind values."""
        ...

    def note_awareness(self, user: str, client: int, state: dict[str, Any] | None) -> None:
        """Where a connection's client is (throttled by the recorder)."""
        ...

    def note_command(self, member: Member, body: dict[str, Any]) -> None:
        """A command that did something (refused and unknown ones are never noted)."""
        ...


@runtime_checkable
class RoomService(Protocol):
    """A live service of one room. The hooks are optional: a service defines the ones it
    needs — `on_join(member)`, `on_leave(member)` (its `clients` are the presence entries
    that left with it), `on_edit(member) -> EditRefusal` (the edit gate),
    `driver_gate(member, command) -> str | None` (driver-only and control commands in mob
    mode), and
    `run()` (a coroutine the room's task group runs until the room closes)."""

    @property
    def commands(self) -> CommandTable[Any]:
        """The commands this service answers."""
        ...

    async def start(self) -> None:
        """Called once when the room opens, before anyone joins."""
        ...

    async def close(self) -> None:
        """Called once when the room unloads or the server stops."""
        ...


HOOKS = ("on_join", "on_leave", "on_edit", "driver_gate")
"""The optional hooks a room service may define (see RoomService)."""


def hook(service: object, name: str) -> Callable[..., Any] | None:
    """A service's optional hook (one of HOOKS), if it defines it."""
    found = getattr(service, name, None)
    return found if callable(found) else None
