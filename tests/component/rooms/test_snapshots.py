"""Snapshots of one room taken by two processes, the one behind last (paused past the
snapshot lock, or unloading a moment behind the other): its older snapshot is ignored, and
so are the ranges of pairbook's own maps it would have stored. Otherwise the room, loaded
again, would let peers overwrite what the server wrote between the two snapshots. Two rooms
loaded from one MemoryStore stand for the two processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycrdt import Doc, Map

from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import load_room
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.unloading import save_snapshot
from pairbook.schema import KERNEL_MAP
from pairbook.store import MemoryStore
from pairbook.types import SERVER_USER, RoomId
from support.notebooks import write_notebook

ROOM = RoomId("demo.ipynb")


def kernel_status(doc: Doc[Any]) -> None:
    doc.get(KERNEL_MAP, type=Map)["status"] = "idle"


async def load(path: Path, store: MemoryStore) -> OpenRoom:
    room, files = await load_room(ROOM, path, store, RoomCounters(), sync_timeout=15.0)
    return OpenRoom(room, files, [], 0)


async def test_a_late_older_snapshot_leaves_the_newer_ones_protected_ranges(
    tmp_path: Path,
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    async with MemoryStore() as store:
        behind, ahead = await load(path, store), await load(path, store)
        await ahead.room.apply_server_edit(kernel_status, SERVER_USER, protected=True)
        assert ahead.room.protected.to_json() != behind.room.protected.to_json()
        await save_snapshot(ahead, store)
        await save_snapshot(behind, store)  # late, and older
        again = await load(path, store)
        assert again.room.protected.to_json() == ahead.room.protected.to_json()
        for each in (behind, ahead, again):
            await each.room.settle()
