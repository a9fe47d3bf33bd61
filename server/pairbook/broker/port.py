"""The `Broker` port: a room's document updates and awareness, carried between processes.

A process that holds a room publishes every update it accepted once the store has it, and
every awareness change of its own peers; every other process holding the room receives them
(`Subscriber.deliver`) and relays the same bytes to its own peers. The store stays the
source of truth: a process that missed entries (its broker reconnected, a gap in the log
positions it saw) reads them from the store. `MemoryBroker` is the reference for the
behaviour; `RedisBroker` carries the entries in one Redis stream per room.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self


@dataclass(frozen=True, slots=True)
class DocEntry:
    """An update a process accepted and logged: its log seq and the frame it relayed."""

    seq: int
    """The update's position in the room's log (the store gave it)."""
    frame: bytes
    """The sync update frame, as the process relayed it to its own peers."""
    user_id: str
    client_ids: tuple[int, ...]
    """The Yjs client ids whose new structs the update carries (claimed by `user_id`)."""


@dataclass(frozen=True, slots=True)
class PresenceEntry:
    """An awareness update a process accepted from its own peers (identity enforced)."""

    payload: bytes
    """The awareness update (y-protocols encoding), as relayed to the process's own peers."""


@dataclass(frozen=True, slots=True)
class SignalEntry:
    """A message between the processes holding a room, not a document change: who is
    connected where (so the room's owner knows every member), or an event for members."""

    payload: bytes
    """A JSON object (pairbook.rooms.signals reads and writes it)."""
    origin: str = ""
    """The process that published it, as the broker's entry names it (set on delivery)."""


Entry = DocEntry | PresenceEntry | SignalEntry


@dataclass(frozen=True, slots=True)
class BrokerStats:
    """Counters for /metrics."""

    published: int = 0
    """Entries appended for other processes."""
    delivered: int = 0
    """Entries of other processes handed to this process's rooms."""
    pending: int = 0
    """Entries waiting to be appended (the broker's server is slow or unreachable)."""
    dropped: int = 0
    """Entries given up on (the outbox overflowed while the server was unreachable): the
    other processes read those updates from the store."""
    reconnects: int = 0
    connected: bool = True


class Subscriber(Protocol):
    """What a broker hands a room's entries to (one per room and process)."""

    def deliver(self, entries: Sequence[Entry]) -> None:
        """Entries other processes published for the room, in the order appended."""

    def missed(self) -> None:
        """Entries may have been lost (the broker reconnected): read the log from the store."""


class Broker(Protocol):
    """Carries rooms' entries between the processes of one deployment."""

    origin: str
    """This process's name among the others (an entry never comes back to its origin)."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def subscribe(self, room: str, subscriber: Subscriber) -> None:
        """Entries published for `room` from now on reach `subscriber`. Call it before the
        room is loaded from the store: an update logged after the load is then delivered,
        one logged before it may be too (the seq says so). Raises BrokerError when the
        broker's server cannot be reached (the room still opens; `missed` follows later)."""

    def unsubscribe(self, room: str, subscriber: Subscriber) -> None:
        """Stop delivering the room's entries to `subscriber`."""

    def publish(self, room: str, entry: Entry) -> None:
        """Append an entry for the other processes, in order, in the background. Never
        raises: while the server is unreachable entries wait (a bounded number)."""

    async def claim(self, room: str, client_id: int, user_id: str) -> str:
        """Give a Yjs client id to a user across all processes unless someone has it;
        returns its owner. Raises BrokerError when the server cannot be reached."""

    def lock(self, room: str, name: str) -> AbstractAsyncContextManager[bool]:
        """Hold the room's `name` lock for the block if no process holds it: yields whether
        this process got it (a holder that dies loses it after a timeout)."""

    async def hold(self, room: str, name: str, ttl: float) -> bool:
        """Take the room's `name` lease, or renew it if this process has it, for `ttl`
        seconds; returns whether this process holds it now (False too when the broker
        cannot be reached: a holder that cannot renew must assume it lost the lease)."""

    async def release(self, room: str, name: str) -> None:
        """Give the lease up if this process holds it (never raises)."""

    async def holder(self, room: str, name: str) -> str | None:
        """The origin of the process holding the room's `name` lease now, None if no one
        does. Raises BrokerError when the broker's server cannot be reached."""
        ...

    async def agree(self, name: str, value: str) -> str:
        """The value of `name` every process agrees on: the first offered wins, and is kept
        a week after its last offer. Raises BrokerError when the server cannot be reached."""
        ...

    def stats(self) -> BrokerStats:
        """Counters for /metrics."""
        ...
