"""Autosave burst: N open rooms edited together, then all quiet at once (as after the
many-rooms bench stops typing): how long the event loop stands still while every room's
autosave (file, twin, snapshot) comes due in the same tick.

Every room's notebook is edited by the server in one loop turn; then a ticker task wakes every
millisecond (as a loop serving other rooms' frames would) and keeps the longest gap between
two of its turns until every room's file holds its edit. Real rooms (the default services,
the .py twins), a real SQLite store, real files. Run:
.venv/bin/python bench/autosave_burst.py [--rooms 500] [--repeat 3] [--snapshots] [--at-once 2]
(PYTHONPATH=/another/checkout/server measures another checkout's code; --at-once needs
rooms/saving.py)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "fanout"))  # its notebooks

from notebooks import small_notebook, write_notebook
from pycrdt import Array, Doc, Map, Text

from pairbook.rooms import RoomPolicy, Rooms
from pairbook.rooms.openroom import OpenRoom
from pairbook.store import SQLiteStore
from pairbook.types import RoomId, UserId

MARK = "# edited by the bench"
WRITER = UserId("bench")


def edit(doc: Doc[Any]) -> None:
    ycell = doc.get("cells", type=Array)[0]
    assert isinstance(ycell, Map)
    source = ycell["source"]
    assert isinstance(source, Text)
    source.insert(0, MARK + "\n")


class Ticker:
    """Turns of the event loop and the longest time between two of them: on the clock, and
    in the loop thread's CPU (what the process did, not what a loaded machine kept it from
    doing), with the collector's longest pass meanwhile."""

    def __init__(self) -> None:
        self.turns = 0
        self.longest = 0.0
        self.longest_cpu = 0.0
        self.longest_gc = 0.0
        self._gc_started = 0.0

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.longest_gc = max(self.longest_gc, time.perf_counter() - self._gc_started)

    async def run(self, stop: asyncio.Event, every: float) -> None:
        gc.callbacks.append(self._gc)
        try:
            last, last_cpu = time.perf_counter(), time.thread_time()
            while not stop.is_set():
                await asyncio.sleep(every)
                now, cpu = time.perf_counter(), time.thread_time()
                self.turns += 1
                self.longest = max(self.longest, now - last)
                self.longest_cpu = max(self.longest_cpu, cpu - last_cpu)
                last, last_cpu = now, cpu
        finally:
            gc.callbacks.remove(self._gc)


def saved(entries: list[OpenRoom], root: Path) -> bool:
    return all(MARK in (root / entry.room.id).read_text() for entry in entries)


async def burst(root: Path, rooms: int, snapshots: bool, at_once: int) -> tuple[Ticker, float]:
    names = [f"nb{index:04d}.ipynb" for index in range(rooms)]
    for name in names:
        write_notebook(root / name, small_notebook())
    # snapshot_every=1: each room's edit also makes its snapshot due (the many-rooms bench's
    # 20 edits a room, 4 typists, cross the default 500 in some rooms at the same moment).
    policy = RoomPolicy(unload_delay=3600, snapshot_every=1 if snapshots else 500)
    if at_once:
        policy = replace(policy, saves_at_once=at_once)
    async with (
        SQLiteStore(root / "pairbook.sqlite") as store,
        Rooms(root, store, policy) as all_rooms,
    ):
        entries = [await all_rooms.open(RoomId(name)) for name in names]
        await asyncio.sleep(2 * policy.autosave_delay)  # the loads' own saves settle
        started = time.perf_counter()
        commits = [entry.room.start_server_edit(edit, WRITER) for entry in entries]
        await asyncio.gather(*[c for c in commits if c is not None])
        # Measured from here: the edits' own turn is not the autosave's (due a second later).
        stop = asyncio.Event()
        ticker = Ticker()
        ticking = asyncio.create_task(ticker.run(stop, 0.001))
        while not saved(entries, root):  # noqa: ASYNC110  (the files, not an event)
            await asyncio.sleep(0.05)
        took = time.perf_counter() - started
        stop.set()
        await ticking
        return ticker, took


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--at-once", type=int, default=0, help="saves at once (0: the default)")
    parser.add_argument("--snapshots", action="store_true", help="each edit makes a snapshot due")
    args = parser.parse_args()
    stalls, cpus = [], []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="pairbook-burst-") as folder:
            ticker, took = await burst(Path(folder), args.rooms, args.snapshots, args.at_once)
        stalls.append(ticker.longest)
        cpus.append(ticker.longest_cpu)
        print(
            f"run {run + 1}: {args.rooms} rooms saved in {took:.2f} s; the loop's longest "
            f"stall {ticker.longest * 1000:.1f} ms, {ticker.longest_cpu * 1000:.1f} ms of its "
            f"CPU (longest collector pass {ticker.longest_gc * 1000:.1f} ms, "
            f"{ticker.turns} ticker turns)",
            flush=True,
        )
    print(
        f"longest stall: median {statistics.median(stalls) * 1000:.1f} ms, max "
        f"{max(stalls) * 1000:.1f}; of CPU: median {statistics.median(cpus) * 1000:.1f} ms, "
        f"max {max(cpus) * 1000:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
