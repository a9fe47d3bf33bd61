"""A real room (MemoryStore, memory channels, real pycrdt document) for the room services'
component tests: people join, send commands and read the replies and events they get."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pairbook.auth import Role, User
from pairbook.protocol.messages import (
    CommandMessage,
    decode_message,
    encode_command,
    encode_sync_step1,
)
from pairbook.rooms import MemoryChannel, Peer, Room, TokenBucket, memory_channel_pair
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.handle import ServiceHandle
from pairbook.rooms.loader import load_room
from pairbook.store import MemoryStore, Store
from pairbook.types import RoomId, UserId
from support.notebooks import write_notebook

ROOM = RoomId("demo.ipynb")


class Clock:
    """A wall clock the test moves."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Person:
    """One connection as its client sees it: it sends commands and reads what came back."""

    def __init__(self, room: Room, peer: Peer, end: MemoryChannel) -> None:
        self.room = room
        self.peer = peer
        self.end = end
        self.sender = asyncio.create_task(peer.run_sender())
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    async def command(self, name: str, **args: Any) -> dict[str, Any]:
        """Send a command; its reply ({id, ok, result | error})."""
        self._next_id += 1
        body = {**args, "id": self._next_id, "command": name}
        await self.room.receive(self.peer, encode_command(body))
        await settle(self.room)
        replies = [m for m in self.read() if m.get("id") == self._next_id]
        assert len(replies) == 1, replies
        return replies[0]

    async def ok(self, name: str, **args: Any) -> dict[str, Any]:
        reply = await self.command(name, **args)
        assert reply["ok"], reply
        result: dict[str, Any] = reply["result"]
        return result

    async def refused(self, name: str, **args: Any) -> str:
        reply = await self.command(name, **args)
        assert not reply["ok"], reply
        return str(reply["error"])

    def read(self) -> list[dict[str, Any]]:
        """The command messages received since the last call (events are kept aside)."""
        bodies: list[dict[str, Any]] = []
        for frame in self.end.unread():
            message = decode_message(frame)
            if isinstance(message, CommandMessage):
                bodies.append(dict(message.body))
        self.events += [b for b in bodies if "event" in b]
        return bodies


async def settle(room: Room) -> None:
    await room.settle()
    for _ in range(5):  # the senders' loops drain their queues
        await asyncio.sleep(0)


class Kit:
    def __init__(self, room: Room, store: Store, clock: Clock) -> None:
        self.room = room
        self.store = store
        self.clock = clock
        self.handle = ServiceHandle(room, clock)
        self.people: list[Person] = []

    async def join(self, name: str, role: Role = Role.EDITOR) -> Person:
        ours, theirs = memory_channel_pair()
        user = User(UserId(name), name.title(), "#336699")
        key = f"{name}-{len(self.people)}"
        peer = Peer(key, user, role, ours, queue_limit=1024, limiter=TokenBucket(1e9, 1 << 30))
        person = Person(self.room, peer, theirs)
        self.people.append(person)
        self.room.join(peer)
        await self.room.receive(peer, encode_sync_step1(b"\x00"))
        await settle(self.room)
        person.read()
        return person


@contextlib.asynccontextmanager
async def service_kit(tmp_path: Path, store: Store | None = None) -> AsyncIterator[Kit]:
    """A room on `store` (opened and closed by the caller), or on a MemoryStore of its own."""
    own = store is None
    store = MemoryStore() if store is None else store
    if own:
        await store.open()
    clock = Clock()
    notebook = write_notebook(tmp_path / "demo.ipynb")
    room, _ = await load_room(ROOM, notebook, store, RoomCounters(), sync_timeout=15.0)
    kit = Kit(room, store, clock)
    try:
        yield kit
    finally:
        for person in kit.people:
            person.sender.cancel()
        await room.settle()
        if own:
            await store.close()
