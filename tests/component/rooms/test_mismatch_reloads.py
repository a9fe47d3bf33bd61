"""A room this process keeps losing to logged updates it cannot apply (a persistent pycrdt
mismatch, mid rolling upgrade) is reloaded a bounded number of times, then refused here
with 1011 and one clear log line, rather than reloaded (its peers thrown out) at every new
update another process logs."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from pairbook.broker import DocEntry, MemoryBroker
from pairbook.errors import ClusterError
from pairbook.protocol.messages import encode_sync_update
from pairbook.rooms import RoomPolicy, Rooms
from pairbook.rooms.mismatch import MAX_RELOADS
from pairbook.store import MemoryStore
from pairbook.types import RoomId
from support.clock import FakeClock
from support.notebooks import write_notebook
from support.updates import legacy_json_update

ROOM = RoomId("a.ipynb")


async def test_a_room_lost_again_and_again_to_unappliable_updates_is_refused_here(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_notebook(tmp_path / "a.ipynb")
    clock = FakeClock()
    async with (
        MemoryStore() as store,
        MemoryBroker() as broker,
        Rooms(tmp_path, store, RoomPolicy(tick=0.01), services=[], broker=broker) as rooms,
    ):
        rooms.mismatches._clock = clock

        async def lose_to_an_unappliable_update() -> None:
            entry = await rooms.open(ROOM)
            assert entry.room.feed is not None
            update = legacy_json_update(500)  # another pycrdt's writing: this one cannot
            seq = await store.append(ROOM, update, "ana", [500])
            entry.room.feed.deliver([DocEntry(seq, encode_sync_update(update), "ana", (500,))])
            assert entry.room.lost is not None
            assert entry.task is not None
            await asyncio.wait_for(asyncio.shield(entry.task), 5)

        for _ in range(MAX_RELOADS + 1):  # the first load, then MAX_RELOADS reloads
            await lose_to_an_unappliable_update()
        with (
            caplog.at_level(logging.ERROR, "pairbook.rooms"),
            pytest.raises(ClusterError) as refused,
        ):
            await rooms.open(ROOM)
        assert "cannot apply this notebook's updates" in str(refused.value)
        assert len(str(refused.value).encode()) <= 123  # a websocket close reason
        assert [r.message for r in caplog.records if r.message.startswith("room not reloaded")]
        clock.advance(rooms.mismatches.window + 1)  # the window passed: tried again
        await rooms.open(ROOM)
