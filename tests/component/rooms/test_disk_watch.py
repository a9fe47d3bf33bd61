"""DiskWatch with real files, real FileSyncs and a MemoryStore: one stat pass (one worker-
thread job) per tick looks at every due room's notebook and twin; only a room whose files
changed gets the full poll, and a change on disk is still noticed in every room. The clocks
are the test's: no assertion depends on how long anything took."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from pairbook.notebook import ydoc_to_notebook
from pairbook.notebook.file import STAT_TICK
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.diskwatch import DiskLooks, DiskWatch, poll_if_marked
from pairbook.rooms.loader import load_room
from pairbook.store import MemoryStore
from pairbook.types import RoomId
from support.notebooks import write_notebook

ROOMS = 5
INTERVAL = 2.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def later() -> int:
    """A wall clock well past every file's mtime: no file counts as just modified."""
    return time.time_ns() + 10 * STAT_TICK


async def open_rooms(tmp_path: Path, store: MemoryStore) -> list[tuple[DiskLooks, Any]]:
    rooms = []
    for index in range(ROOMS):
        path = write_notebook(tmp_path / f"nb{index}.ipynb")
        _, filesync = await load_room(
            RoomId(path.name), path, store, RoomCounters(), sync_timeout=15.0, root=tmp_path
        )
        assert filesync.twin is not None
        filesync.twin.clock = later
        rooms.append((DiskLooks(), filesync))
    return rooms


async def tick(watch: DiskWatch, clock: Clock, rooms: list[tuple[DiskLooks, Any]]) -> int:
    """One interval later: one pass, then each room's task runs the look it was marked for."""
    clock.now += INTERVAL
    marked = await watch.look(rooms)
    for looks, filesync in rooms:
        await poll_if_marked(looks, filesync)
    return marked


def sources(filesync: Any) -> str:
    return "\n".join(str(c["source"]) for c in ydoc_to_notebook(filesync.room.doc)["cells"])


async def test_every_room_notices_its_file_and_twin_changing_and_idle_rooms_are_one_stat_pass(
    tmp_path: Path,
) -> None:
    clock = Clock()
    watch = DiskWatch(INTERVAL, 0.25, clock=clock, wall=later)
    async with MemoryStore() as store:
        rooms = await open_rooms(tmp_path, store)
        assert await watch.look(rooms) == 0  # placed over the interval, none due yet
        assert await tick(watch, clock, rooms) == ROOMS  # never looked at: all in full
        while await tick(watch, clock, rooms):  # the twins pairbook wrote, looked at again
            pass
        passes = watch.passes
        assert await tick(watch, clock, rooms) == 0  # idle: no room polled in full ...
        assert watch.passes == passes + 1  # ... and one stat pass for them all

        for index, (_, filesync) in enumerate(rooms):
            path = filesync.file.path
            path.write_text(path.read_text().replace("y = x + 1", f"edited_{index} = 1"))
        assert await tick(watch, clock, rooms) == ROOMS
        for index, (_, filesync) in enumerate(rooms):
            assert f"edited_{index} = 1" in sources(filesync)
        while await tick(watch, clock, rooms):  # the twins written after the reload
            pass

        for index, (_, filesync) in enumerate(rooms):
            twin = filesync.twin.paired.file.path
            twin.write_text(twin.read_text().replace("x = 1", f"from_twin_{index} = 2"))
        # An edited twin is merged once a second look finds it as it was (settled): the
        # second pass marks every room again though no stat changed (TwinSync.asks_look).
        assert await tick(watch, clock, rooms) == ROOMS
        assert await tick(watch, clock, rooms) == ROOMS
        for index, (_, filesync) in enumerate(rooms):
            assert f"from_twin_{index} = 2" in sources(filesync)


async def test_a_file_modified_within_a_tick_of_the_stat_is_looked_at_again(
    tmp_path: Path,
) -> None:
    """A same-size save in one mtime tick may leave the stat as it was: a file modified
    within STAT_TICK of the pass's stat is polled in full on every pass, whatever its stat."""
    clock = Clock()
    async with MemoryStore() as store:
        rooms = (await open_rooms(tmp_path, store))[:1]
        looks, filesync = rooms[0]
        mtime = filesync.file.path.stat().st_mtime_ns
        stamp = mtime + STAT_TICK // 2  # the passes run half a tick after the file's mtime
        watch = DiskWatch(INTERVAL, 0.25, clock=clock, wall=lambda: stamp)
        filesync.twin.clock = lambda: stamp
        await watch.look(rooms)  # placed
        await tick(watch, clock, rooms)  # the first look writes the twin: made old
        twin = filesync.twin.paired.file.path
        os.utime(twin, ns=(mtime - 10 * STAT_TICK,) * 2)
        await tick(watch, clock, rooms)
        assert not filesync.twin.asks_look  # the twin, settled, is judged by its stat
        for _ in range(3):  # the notebook's stat never changes, yet it is read each time
            assert await tick(watch, clock, rooms) == 1
            assert looks.seen is None
