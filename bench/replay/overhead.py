"""The recorder's cost on the relay path: one room, one typist, N readers, in process."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc, Text

from pairbook.auth import Role, User
from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.messages import encode_awareness, encode_sync_step1, encode_sync_update
from pairbook.rooms import Peer, RoomPolicy, Rooms, TokenBucket
from pairbook.rooms.services import RECORDING, ROOM_SERVICES
from pairbook.store import SQLiteStore
from pairbook.types import RoomId, UserId


class NullChannel:
    """A peer that reads everything at once (what a fast client does)."""

    async def send(self, frame: bytes) -> None:
        return None

    def send_now(self, frame: bytes) -> bool:
        return True

    def backlog(self) -> int:
        return 0

    def abort(self) -> None:
        return None

    async def receive(self) -> bytes:
        await asyncio.Event().wait()
        return b""

    async def close(self, code: int, reason: str) -> None:
        return None


def peer(key: str, user: str) -> Peer:
    return Peer(
        key,
        User(UserId(user), user, "#336699"),
        Role.EDITOR,
        NullChannel(),
        queue_limit=1_000_000,
        limiter=TokenBucket(1e9, 10**9),
    )


async def relay(root: Path, store_path: Path, *, record: bool, readers: int, keys: int) -> float:
    """Updates relayed per second: `keys` keystrokes (plus a presence every 10) from one
    typist to `readers` peers, through a real room with its SQLite log."""
    services = [f for f in ROOM_SERVICES if record or f is not RECORDING]
    async with (
        SQLiteStore(store_path) as store,
        Rooms(root, store, RoomPolicy(unload_delay=3600), services=services) as rooms,
    ):
        entry = await rooms.open(RoomId("bench.ipynb"))
        room = entry.room
        typist = peer("typist", "ana")
        others = [peer(f"reader-{i}", f"reader-{i}") for i in range(readers)]
        senders = []
        for each in (typist, *others):
            room.join(each)
            await room.receive(each, encode_sync_step1(b"\x00"))  # empty state vector
            assert each.live
            senders.append(asyncio.create_task(each.run_sender()))
        doc: Doc[Any] = Doc(client_id=4242)
        doc.apply_update(room.doc.get_update())
        source: Text = doc.get("cells", type=Array)[1]["source"]
        frames = []
        for i in range(keys):
            before = doc.get_state()
            source.insert(len(str(source).encode()), "x" if i % 40 else "\n")
            frames.append(encode_sync_update(doc.get_update(before)))
            if i % 10 == 0:
                state: dict[str, object] = {"cell": "code-0", "cursor": {"anchor": i}}
                entries = (AwarenessEntry(4242, i + 1, state),)
                frames.append(encode_awareness(encode_awareness_update(entries)))
        started = time.perf_counter()
        for frame in frames:
            await room.receive(typist, frame)
        elapsed = time.perf_counter() - started
        assert all(each.live for each in others), "a reader was dropped"
        for task in senders:
            task.cancel()
        return keys / elapsed
