"""A process that was paused (SIGSTOP, a long GC) while it kept a room's notebook file, and
resumes after another process took the file over: it neither saves its copy over the new
keeper's nor reads the file, before it has asked Redis whether it still keeps it. Two
`Rooms` on the real Redis; the paused one's room life runs one round only when the test
says (its tick is an hour: it renewed nothing meanwhile, as a frozen process would not)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Text
from redis.asyncio import Redis

from cluster.conftest import REDIS_URL
from pairbook.broker.redis import RedisBroker
from pairbook.rooms import RoomPolicy, Rooms
from pairbook.rooms.feed import FILES
from pairbook.rooms.handle import ServiceHandle
from pairbook.store import MemoryStore
from pairbook.types import SERVER_USER, RoomId
from support.notebooks import write_notebook
from support.ownership import MemoryOwnership

pytestmark = pytest.mark.cluster

ROOM = RoomId("demo.ipynb")
HOUR = 3600.0


def mark(doc: Doc[Any]) -> None:
    source = doc.get("cells", type=Array)[1]["source"]
    assert isinstance(source, Text)
    source.insert(0, "# a, after its pause\n")


async def test_a_paused_keeper_does_not_save_over_the_new_keepers_file(
    redis: Redis, prefix: str, tmp_path: Path
) -> None:
    path = write_notebook(tmp_path / ROOM)
    url = f"{REDIS_URL}?prefix={prefix}"
    paused = RoomPolicy(tick=HOUR, autosave_delay=0.0, file_poll_interval=0.0, unload_delay=HOUR)
    still = RoomPolicy(tick=HOUR, autosave_delay=HOUR, file_poll_interval=HOUR, unload_delay=HOUR)
    async with (
        MemoryStore() as store,
        RedisBroker(url) as a_broker,
        RedisBroker(url) as b_broker,
        Rooms(tmp_path, store, paused, services=[], broker=a_broker) as a,
        Rooms(
            tmp_path, store, still, services=[], broker=b_broker, ownership=MemoryOwnership(None)
        ) as b,  # fmt: skip
    ):
        kept = await a.open(ROOM)
        assert kept.room.feed is not None
        assert kept.room.feed.files_held
        # a is paused: its files lease runs out, and b, opening the room, keeps the file.
        await redis.delete(f"{prefix}lease:{ROOM}:{FILES}")
        taken = await b.open(ROOM)
        assert taken.room.feed is not None
        assert taken.room.feed.files_held
        before = path.stat()
        # a resumes with a change it has not saved, and its room's life runs a round.
        await ServiceHandle(kept.room).apply_server_edit(mark, SERVER_USER)
        kept.room.changed.set()
        async with asyncio.timeout(10):
            while kept.room.feed.files_held and path.stat().st_mtime_ns == before.st_mtime_ns:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        after = path.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
        assert "after its pause" not in path.read_text()
        assert not kept.filesync.active
