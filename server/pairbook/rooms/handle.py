"""The room side of the RoomService port: a peer as a service sees it (`member_of`), the
narrow handle a room gives its services (`ServiceHandle`), and the hooks a room calls
(`ServiceHooks`: joins, leaves, the edit gate, the driver gate, the command table)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pycrdt import Doc

from pairbook.errors import ClusterError, FencedError
from pairbook.protocol.closecodes import CloseCode
from pairbook.rooms.commits import MOVED
from pairbook.rooms.peer import Peer
from pairbook.service import (
    CellsObserver,
    CommandTable,
    FencedWrite,
    Member,
    RoomNotes,
    RoomService,
)
from pairbook.service.commands import Args, Command
from pairbook.service.port import HOOKS, hook
from pairbook.types import RoomId, UserId

if TYPE_CHECKING:
    from pairbook.rooms.room import Room

T = TypeVar("T")
log = logging.getLogger("pairbook.room")


def member_of(peer: Peer, clients: Iterable[int] | None = None) -> Member:
    """What a service sees of a peer; `clients` are its presence ids (now, by default)."""
    ids = peer.awareness_ids if clients is None else clients
    return Member(peer.key, peer.user, peer.role, frozenset(ids), peer.grant)


class ServiceHooks:
    """The services attached to one room, as the room core calls them."""

    def __init__(self) -> None:
        self.services: list[RoomService] = []
        self.commands: CommandTable[Any] = CommandTable("room")
        self.notes: RoomNotes | None = None
        # Each hook's callables, in the order their services were attached.
        self._hooks: dict[str, list[Callable[..., Any]]] = {name: [] for name in HOOKS}

    def attach(self, services: Sequence[RoomService], present: Sequence[Member] = ()) -> None:
        """Add services (in order); their command tables merge into the room's one table
        (a command declared twice is a ValueError, and nothing is attached then). The new
        services hear of the members `present` already (on other processes) as joining."""
        every = [*self.services, *services]
        self.commands = CommandTable.merge(service.commands for service in every)
        self.services = every
        recording = self.notes
        for service in services:
            if self.notes is None and isinstance(service, RoomNotes):
                self.notes = service
            for name, hooks in self._hooks.items():
                found = hook(service, name)
                if found is not None:
                    hooks.append(found)
            on_join = hook(service, "on_join")
            if on_join is not None:
                for member in present:
                    on_join(member)
        if recording is None:  # the recorder just came: who was here already
            for member in present:
                self.note_join(member)

    def joined(self, member: Member) -> None:
        for on_join in self._hooks["on_join"]:
            on_join(member)

    def left(self, member: Member) -> None:
        for on_leave in self._hooks["on_leave"]:
            on_leave(member)

    def note_join(self, member: Member) -> None:
        if self.notes is not None:
            user = member.user
            data = {"name": user.name, "color": user.color, "role": member.role.value}
            self.notes.note("join", user.id, data)

    def note_leave(self, member: Member) -> None:
        if self.notes is not None:
            self.notes.note("leave", member.user.id, {"clients": sorted(member.clients)})

    def edit_refusal(self, peer: Peer) -> str | None:
        """Why this peer may not edit right now (mob mode), or None."""
        gates = self._hooks["on_edit"]
        if not gates:
            return None
        member = member_of(peer)
        for on_edit in gates:
            refusal: str | None = on_edit(member)
            if refusal is not None:
                return refusal
        return None

    def driver_refusal(self, member: Member, command: Command[Any]) -> str | None:
        for driver_gate in self._hooks["driver_gate"]:
            refusal: str | None = driver_gate(member, command)
            if refusal is not None:
                return refusal
        return None

    def note_command(self, member: Member, body: Args) -> None:
        if self.notes is not None:
            self.notes.note_command(member, body)

    async def dispatch(self, member: Member, body: Args) -> dict[str, Any]:
        """One command through the room's table (see CommandTable.dispatch)."""
        return await self.commands.dispatch(
            member, body, gate=self.driver_refusal, note=self.note_command
        )


class ServiceHandle:
    """The RoomHandle a room gives its services: its document, server edits, its members
    and events to them, the recorder's notes and the wall clock."""

    def __init__(self, room: Room, clock: Callable[[], float] = time.time) -> None:
        self._room = room
        self._clock = clock

    @property
    def id(self) -> RoomId:
        return self._room.id

    @property
    def doc(self) -> Doc[Any]:
        return self._room.doc

    @property
    def author(self) -> UserId | None:
        return self._room.author

    @property
    def last_seq(self) -> int:
        return self._room.last_seq

    @property
    def inflight(self) -> int:
        return self._room.inflight

    async def apply_server_edit(
        self, edit: Callable[[Doc[Any]], None], author: UserId, *, protected: bool = False
    ) -> int | None:
        fence = self._fence()
        return await self._room.apply_server_edit(edit, author, protected=protected, fence=fence)

    def start_server_edit(
        self, edit: Callable[[Doc[Any]], None], author: UserId, *, protected: bool = False
    ) -> asyncio.Future[int | None]:
        fence = self._fence()
        committed = self._room.start_server_edit(edit, author, protected=protected, fence=fence)
        done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        if committed is None:
            done.set_result(None)
        else:
            committed.add_done_callback(lambda task: _settle(task, done))
        return done

    async def settle(self) -> None:
        await self._room.settle()

    async def owner_write(self, write: FencedWrite[T]) -> T:
        try:
            return await write(self._fence())
        except FencedError as exc:
            # As a fenced log append (CommitQueue): a later owner runs the room now; this
            # process stands down, its peers reconnect to the room as the log holds it.
            log.warning("owner write fenced off", extra={"room": self.id, "error": str(exc)})
            self._room.lose(MOVED, CloseCode.GOING_AWAY)
            raise

    def _fence(self) -> int | None:
        """A service writes only while this process owns the room (or nothing else can):
        the token its write carries to the store, which refuses it once a later owner
        fenced the room (None: one process, no fence)."""
        room = self._room
        if room.ownership is None:
            return None
        token = room.ownership.token(room.id)
        if token is None:
            raise ClusterError(
                f"this server process no longer runs room {room.id!r}; its write is refused"
            )
        return token

    def members(self) -> list[Member]:
        """The members connected here, and those on other processes (the owner's services
        treat them alike)."""
        here = [member_of(peer) for peer in self._room.peers]
        feed = self._room.feed
        return here if feed is None else [*here, *feed.signals.members()]

    def observe_cells(self, observer: CellsObserver) -> Callable[[], None]:
        return self._room.cells.observe(observer)

    def notify_member(self, member: Member, event: dict[str, Any]) -> None:
        for peer in self._room.peers:
            if peer.key == member.key:
                self._room.notify_peer(peer, event)
                return
        if self._room.feed is not None:  # a member of another process
            self._room.feed.signals.send(member, event)

    def notify(self, event: dict[str, Any]) -> None:
        self._room.notify(event)
        if self._room.feed is not None:
            self._room.feed.signals.broadcast(event)

    def note(self, kind: str, user: UserId, data: dict[str, Any]) -> None:
        notes = self._room.services.notes
        if notes is not None:
            notes.note(kind, user, data)

    def clock(self) -> float:
        return self._clock()


def _settle(task: asyncio.Future[int], done: asyncio.Future[int | None]) -> None:
    """Pass a commit's outcome on. A failed commit was logged when the room lost its log
    (Room.lose): a caller that does not wait for it loses nothing by not seeing it."""
    if done.done():
        if not task.cancelled():
            task.exception()  # retrieved: the caller stopped waiting
    elif task.cancelled():
        done.cancel()
    elif (error := task.exception()) is not None:
        done.set_exception(error)
        done.add_done_callback(lambda future: future.exception())
    else:
        done.set_result(task.result())
