"""How fast `Store.append` acknowledges: appends/s and p50/p99 latency, per back end.

The server awaits `append` before relaying an update to the other peers, so its latency is
on the path of every keystroke. Run: .venv/bin/python bench/store_append.py [--seconds 2]
The SQLite file goes in --dir (default: a temporary directory); fsync cost depends on it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from pairbook.store import MemoryStore, SQLiteStore, Store

UPDATE = os.urandom(64)  # about a keystroke's Yjs update
ROOMS = 10


Result = tuple[int, float, list[float]]


async def run(store: Store, appenders: int, seconds: float) -> Result:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def append_until_deadline(appender: int) -> None:
        room = f"room-{appender % ROOMS}.ipynb"
        while (started := time.perf_counter()) < deadline:
            await store.append(room, UPDATE, f"user-{appender}", [appender])
            latencies.append(time.perf_counter() - started)

    async with store:
        began = time.perf_counter()
        await asyncio.gather(*(append_until_deadline(a) for a in range(appenders)))
        elapsed = time.perf_counter() - began
    return len(latencies), elapsed, latencies


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite files go")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args()
    run_loop: Callable[[Coroutine[Any, Any, Result]], Result] = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        run_loop = uvloop.run

    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        backends: list[tuple[str, Callable[[], Store]]] = [
            ("memory", MemoryStore),
            ("sqlite normal", lambda: SQLiteStore(Path(directory) / "normal.sqlite")),
            (
                "sqlite full",
                lambda: SQLiteStore(Path(directory) / "full.sqlite", synchronous="full"),
            ),
        ]
        print(
            f"{args.loop} loop; SQLite files in {directory}; "
            f"{len(UPDATE)}-byte updates over {ROOMS} rooms"
        )
        header = f"{'back end':<14} {'appenders':>9} {'appends/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
        print(f"{header} {'appends/commit':>14}")
        for appenders in (1, 50):
            for name, make in backends:
                store = make()
                count, elapsed, latencies = run_loop(run(store, appenders, args.seconds))
                stats = store.stats()
                per_commit = stats.appends / stats.commits if stats.commits else 0.0
                p50, p99 = (percentile(latencies, q) * 1e3 for q in (50, 99))
                print(
                    f"{name:<14} {appenders:>9} {count / elapsed:>10,.0f} "
                    f"{p50:>8.3f} {p99:>8.3f} {per_commit:>14.1f}"
                )


if __name__ == "__main__":
    main()
