"""DiskWatch: the open rooms' periodic looks at their files, one stat pass per tick.

Each room's notebook file (and its .py twin, when it has one) is looked at every
`file_poll_interval`, the rooms spread over the interval. One worker-thread job per tick
stats every file of the rooms due then; only a room whose files' stats differ from those
found before its last complete look (or that were modified within STAT_TICK of that stat, or
whose twin asks to be read again) gets the full poll (`FileSync.poll`), in its own task.
The stats a room's look is judged by are always those taken *before* the look read anything:
an edit saved during or after it then shows on the next pass.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pairbook.notebook.file import within_tick
from pairbook.rooms.filesync import FileSync

Stat = tuple[int, int, int, int] | None  # mtime_ns, size, inode, ctime_ns; None: no file
Found = tuple[tuple[Path, Stat], ...]


@dataclass(slots=True)
class DiskLooks:
    """One room's place in the watch: when it is due, and what its last complete look saw."""

    due: float | None = None  # monotonic time of the next stat; None: not placed yet
    seen: Found | None = None  # the stats before the last complete look; None: look again
    found: Found | None = None  # the stats a full look waits on (the room's task runs it)


def _stat(path: Path) -> Stat:
    try:
        st = os.stat(path)
    except OSError:  # gone, or unreadable: the full look says why
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def _stat_all(groups: list[tuple[Path, ...]]) -> list[Found]:
    return [tuple((path, _stat(path)) for path in paths) for paths in groups]


def paths_of(files: FileSync) -> tuple[Path, ...]:
    """The files a room's poll reads: the notebook, and its twin while one is paired (an
    unpaired notebook's poll reads none; a new pairing is a change of the room, saved)."""
    twin = files.twin
    if twin is None or twin.paired is None:
        return (files.file.path,)
    return (files.file.path, twin.paired.file.path)


def _recent(found: Found, now_ns: int) -> bool:
    """Whether a file was modified within STAT_TICK of the stat (or after it): a same-size
    save in one mtime tick may leave its stat as it was, so it is not judged by it."""
    return any(stat is not None and within_tick(stat[0], now_ns) for _, stat in found)


class DiskWatch:
    """Schedules the looks of every open room (see the module's docstring)."""

    def __init__(
        self,
        interval: float,
        tick: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], int] = time.time_ns,
    ) -> None:
        self.interval = interval
        self.tick = tick  # seconds between two passes (RoomPolicy.tick, as the rooms wake)
        self._clock = clock
        self._wall = wall  # the clock file mtimes are set by
        self.passes = 0  # stat passes made (one worker-thread job each)

    async def look(self, rooms: Iterable[tuple[DiskLooks, FileSync]]) -> int:
        """One pass: stat the files of the rooms due now, in one worker-thread job, and
        mark those whose files need a full look. Returns how many were marked."""
        now = self._clock()
        due: list[tuple[DiskLooks, FileSync]] = []
        for looks, files in rooms:
            if looks.due is None:  # spread over the interval, not all in one tick
                looks.due = now + random.uniform(0.0, self.interval)
            if looks.due <= now and looks.found is None and files.active:
                due.append((looks, files))
        if not due:
            return 0
        stamp = self._wall()  # before the stats: a file modified after it counts as recent
        found = await asyncio.to_thread(_stat_all, [paths_of(files) for _, files in due])
        self.passes += 1
        marked = 0
        for (looks, files), stats in zip(due, found, strict=True):
            looks.due = now + self.interval
            twin_asks = files.twin is not None and files.twin.asks_look
            if looks.seen is None or looks.seen != stats or twin_asks:
                looks.found = stats if not _recent(stats, stamp) else ()
                marked += 1
        return marked

    async def run(self, rooms: Callable[[], Iterable[tuple[DiskLooks, FileSync]]]) -> None:
        """Look every `tick` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.tick)
            await self.look(rooms())


async def poll_if_marked(looks: DiskLooks, files: FileSync) -> None:
    """Run the full look the watch asked for (in the room's task). The stats taken before
    it are kept as seen only if the look completed: otherwise the next pass looks again."""
    found, looks.found = looks.found, None
    if found is None:
        return
    looked = await files.poll()
    looks.seen = found if looked and found else None
