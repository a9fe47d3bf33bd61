"""Opening a room whose log has a long tail after its snapshot: how long `load_room` takes and
how long the event loop stands still meanwhile (every other room of the process waits then).

The log is the base history of a small notebook then N one-keystroke records (no snapshot: a
room whose snapshots failed or were skipped). A ticker task wakes every millisecond (as a
loop serving other rooms would, without taking the CPU from the load) and keeps the longest
gap between two of its turns. The file is not reconciled (it would be the same
for every N). Run: .venv/bin/python bench/room_open.py [--records 10000,100000] [--tick 0.001]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the suite's helpers

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import load_room
from pairbook.store import MemoryStore
from pairbook.types import RoomId
from support.longlog import log_keystrokes

ROOM = RoomId("demo.ipynb")


@dataclass(slots=True)
class Ticker:
    """Turns of the event loop and the longest time between two of them."""

    turns: int = 0
    longest: float = 0.0


async def tick(ticker: Ticker, stop: asyncio.Event, every: float) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(every)
        now = time.perf_counter()
        ticker.turns += 1
        ticker.longest = max(ticker.longest, now - last)
        last = now


async def measure(records: int, folder: Path, every: float) -> None:
    path = folder / "demo.ipynb"
    path.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("x = 1")])))
    async with MemoryStore() as store:
        await log_keystrokes(store, ROOM, path, records)
        ticker, stop = Ticker(), asyncio.Event()
        ticking = asyncio.create_task(tick(ticker, stop, every))
        await asyncio.sleep(0)
        start = time.perf_counter()
        room, _ = await load_room(
            ROOM, path, store, RoomCounters(), sync_timeout=15.0, reconcile=False
        )
        spent = time.perf_counter() - start
        stop.set()
        await ticking
    assert room.last_seq == records + 1
    print(
        f"{records:>7} records: open {spent:6.2f} s, loop turns {ticker.turns:>6}, "
        f"longest stall {ticker.longest * 1e3:8.1f} ms"
    )


async def main(counts: list[int], every: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for records in counts:
            await measure(records, Path(folder), every)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default="10000,100000")
    parser.add_argument("--tick", type=float, default=0.001, help="the ticker's sleep (s)")
    args = parser.parse_args()
    asyncio.run(main([int(n) for n in args.records.split(",")], args.tick))
