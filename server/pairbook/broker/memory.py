"""MemoryBroker: the processes of a deployment as brokers on one in-process hub.

The reference behaviour of the `Broker` port and the test double of the room core: two
`Rooms` in one test, each with its own MemoryBroker on a shared `MemoryHub`, behave as two
processes sharing rooms. Delivery is asynchronous (the next turn of the event loop), in the
order published, never back to the publisher.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self

from pairbook.broker.port import BrokerStats, Entry, SignalEntry, Subscriber

_origins = itertools.count(1)


@dataclass(slots=True)
class MemoryHub:
    """What the processes share: who holds which room, the claims, the locks."""

    subscribers: dict[str, dict[str, tuple[MemoryBroker, Subscriber]]] = field(default_factory=dict)
    """room -> origin -> that process's broker and the room's subscriber there."""
    claims: dict[tuple[str, int], str] = field(default_factory=dict)
    locks: set[tuple[str, str]] = field(default_factory=set)
    leases: dict[tuple[str, str], str] = field(default_factory=dict)
    agreed: dict[str, str] = field(default_factory=dict)
    """(room, name) -> the origin holding the lease (a memory lease never expires)."""


class MemoryBroker:
    """One process's broker on a hub (a hub of its own unless one is given)."""

    def __init__(self, hub: MemoryHub | None = None, *, origin: str | None = None) -> None:
        self.hub = hub or MemoryHub()
        self.origin = origin or f"memory-{next(_origins)}"
        self._published = 0
        self._delivered = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for holders in self.hub.subscribers.values():
            holders.pop(self.origin, None)

    async def subscribe(self, room: str, subscriber: Subscriber) -> None:
        self.hub.subscribers.setdefault(room, {})[self.origin] = (self, subscriber)

    def unsubscribe(self, room: str, subscriber: Subscriber) -> None:
        holders = self.hub.subscribers.get(room, {})
        held = holders.get(self.origin)
        if held is not None and held[1] is subscriber:
            del holders[self.origin]

    def publish(self, room: str, entry: Entry) -> None:
        self._published += 1
        loop = asyncio.get_running_loop()
        if isinstance(entry, SignalEntry):
            entry = replace(entry, origin=self.origin)
        for origin, (broker, subscriber) in self.hub.subscribers.get(room, {}).items():
            if origin != self.origin:
                loop.call_soon(broker._deliver, room, subscriber, entry)

    def _deliver(self, room: str, subscriber: Subscriber, entry: Entry) -> None:
        held = self.hub.subscribers.get(room, {}).get(self.origin)
        if held is not None and held[1] is subscriber:  # still subscribed
            self._delivered += 1
            subscriber.deliver([entry])

    async def claim(self, room: str, client_id: int, user_id: str) -> str:
        return self.hub.claims.setdefault((room, client_id), user_id)

    @contextlib.asynccontextmanager
    async def lock(self, room: str, name: str) -> AsyncIterator[bool]:
        key = (room, name)
        if key in self.hub.locks:
            yield False
            return
        self.hub.locks.add(key)
        try:
            yield True
        finally:
            self.hub.locks.discard(key)

    async def hold(self, room: str, name: str, ttl: float) -> bool:
        return self.hub.leases.setdefault((room, name), self.origin) == self.origin

    async def release(self, room: str, name: str) -> None:
        if self.hub.leases.get((room, name)) == self.origin:
            del self.hub.leases[(room, name)]

    async def holder(self, room: str, name: str) -> str | None:
        return self.hub.leases.get((room, name))

    async def agree(self, name: str, value: str) -> str:
        return self.hub.agreed.setdefault(name, value)

    def stats(self) -> BrokerStats:
        return BrokerStats(published=self._published, delivered=self._delivered)
