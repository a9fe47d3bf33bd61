"""Room cores of several "processes" on one store, each with its own broker: the helpers of
the broker tests (component: MemoryBroker; integration: RedisBroker on a real Redis)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from pycrdt import Doc, Text

from pairbook.auth import Role, User
from pairbook.broker import Broker
from pairbook.protocol.messages import (
    encode_sync_step1,
)
from pairbook.rooms import Peer, Room, TokenBucket, memory_channel_pair
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.feed import RoomFeed, subscribe_feed
from pairbook.rooms.filesync import FileSync
from pairbook.rooms.loader import load_room
from pairbook.store import MemoryStore, Store
from pairbook.types import RoomId, UserId
from support.clock import FakeClock
from support.notebooks import write_notebook
from support.replica import receive_frames, type_scratch

ROOM = RoomId("demo.ipynb")


class Client:
    """A stock client on one process: the frames it got go into its replica."""

    def __init__(self, room: Room, name: str, client_id: int) -> None:
        ours, self.end = memory_channel_pair()
        user = User(UserId(name), name.title(), "#336699")
        limiter = TokenBucket(1e9, 1 << 30)
        self.peer = Peer(name, user, Role.EDITOR, ours, queue_limit=256, limiter=limiter)
        self.room = room
        self.doc: Doc[Any] = Doc(client_id=client_id)
        self.sender = asyncio.create_task(self.peer.run_sender())
        self.frames: list[bytes] = []

    def read(self) -> list[Any]:
        frames = self.end.unread()
        self.frames += frames
        return receive_frames(self.doc, frames)

    def edit(self, text: str) -> bytes:
        return type_scratch(self.doc, text)

    def text(self) -> str:
        return str(self.doc.get("scratch", type=Text))


class Process:
    """One pairbook process's view of the room: its broker, feed and room."""

    def __init__(
        self, room: Room, feed: RoomFeed, clock: FakeClock, files: FileSync | None = None
    ) -> None:
        self.room, self.feed, self.clock, self.files = room, feed, clock, files
        self.clients: list[Client] = []

    async def join(self, name: str, client_id: int) -> Client:
        client = Client(self.room, name, client_id)
        self.clients.append(client)
        self.room.join(client.peer)
        await self.room.receive(client.peer, encode_sync_step1(client.doc.get_state()))
        await settle(self)
        client.read()
        return client

    async def send(self, client: Client, frame: bytes) -> None:
        await self.room.receive(client.peer, frame)
        await settle(self)


async def settle(*processes: Process) -> None:
    for process in processes:
        await process.room.settle()
    for _ in range(10):  # deliveries (call_soon) and the senders' loops
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def shared_store(tmp_path: Path) -> AsyncIterator[tuple[Path, MemoryStore]]:
    """The room's notebook and the store every process logs to, closed at the end."""
    store = MemoryStore()
    await store.open()
    try:
        yield write_notebook(tmp_path / "demo.ipynb"), store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def two_processes(
    tmp_path: Path, brokers: Callable[[], Broker], *, twin: bool = False
) -> AsyncIterator[tuple[Process, Process, MemoryStore]]:
    """Two processes holding the room, each on a broker `brokers()` makes (not yet open:
    they are opened and closed here); with `twin`, the notebook's .py twin is kept too."""
    async with shared_store(tmp_path) as (path, store), brokers() as first, brokers() as second:
        root = tmp_path if twin else None
        processes = [await open_process(path, store, b, root=root) for b in (first, second)]
        try:
            yield processes[0], processes[1], store
        finally:
            for process in processes:
                for client in process.clients:
                    client.sender.cancel()
                await process.room.settle()


@contextlib.asynccontextmanager
async def ana_and_bob(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> AsyncIterator[tuple[Process, Client, Process, Client, MemoryStore]]:
    """`two_processes` with ana (client id 101) joined on the first, bob (102) on the
    second: (a, ana, b, bob, store)."""
    async with two_processes(tmp_path, brokers) as (a, b, store):
        ana = await a.join("ana", 101)
        bob = await b.join("bob", 102)
        yield a, ana, b, bob, store


async def open_process(
    path: Path, store: Store, broker: Broker, *, root: Path | None = None
) -> Process:
    clock = FakeClock()
    feed = await subscribe_feed(broker, store, ROOM, clock=clock)
    assert feed is not None
    room, files = await load_room(
        ROOM, path, store, RoomCounters(), sync_timeout=15.0, clock=clock,
        reconcile=feed.files_held, root=root,
    )  # fmt: skip
    await feed.attach(room, files)
    feed.signals.settle = 0.0  # announce joins and leaves at the loop's next turn
    return Process(room, feed, clock, files)


async def eventually(
    check: Callable[[], bool], *, processes: tuple[Process, ...] = (), within: float = 10.0
) -> None:
    """Wait until `check()` holds, doing the processes' room upkeep meanwhile (their life
    task's job in a server); AssertionError past `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"not true within {within} s")
        for process in processes:
            process.clock.advance(0.05)
            await process.feed.upkeep(process.clock())
        await asyncio.sleep(0.01)
    await settle(*processes)
