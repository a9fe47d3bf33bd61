"""Replay benchmark: seek and blame over a 100,000-update session, the recorder's overhead
on relaying, and the log size per hour of typing.

Run: .venv/bin/python bench/replay/run.py [--updates 100000] [--seeks 200]
Everything runs in this process against real SQLite files in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overhead import relay
from session import Clock, build_session
from support_notebook import write_bench_notebook

from pairbook.record import Replayer
from pairbook.store import SQLiteStore

ROOM = "session.ipynb"


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def seek_and_blame(path: Path, updates: int, seeks: int) -> None:
    clock = Clock()
    async with SQLiteStore(path, clock=clock) as store:
        began = time.perf_counter()
        info = await build_session(store, clock, ROOM, updates)
        built = time.perf_counter() - began
    hours = info["seconds"] / 3600
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    print(
        f"session: {info['updates']:,} updates by 3 people, {hours:.2f} h of typing at ~12 keys/s "
        f"(built in {built:.0f} s)"
    )
    async with SQLiteStore(path) as store:
        log_bytes = info["update_bytes"]
        checkpoints = await store.checkpoint_seqs(ROOM)
        events = len(await store.events(ROOM))
        print(
            f"log size: {size / 1e6:.1f} MB SQLite file = {size / hours / 1e6:.1f} MB "
            f"per hour of typing (update bytes alone {log_bytes / hours / 1e6:.2f} MB/h; "
            f"{len(checkpoints)} checkpoints, {events:,} presence events)"
        )
        replayer = Replayer(store, ROOM, save_checkpoints=False)
        rng = random.Random(1)
        _, last = await replayer.bounds()
        timings = []
        for _ in range(seeks):
            seq = rng.randint(1, last)
            started = time.perf_counter()
            await replayer.moment(seq)
            timings.append((time.perf_counter() - started) * 1000)
        print(
            f"seek to a random moment ({seeks} seeks, checkpoint every 1000): "
            f"p50 {pct(timings, 50):.1f} ms, p99 {pct(timings, 99):.1f} ms, "
            f"max {max(timings):.1f} ms"
        )
        started = time.perf_counter()
        lines = await replayer.blame(last, info["busiest_cell"])
        cold = time.perf_counter() - started
        started = time.perf_counter()
        await replayer.blame(last, info["busiest_cell"])
        warm = (time.perf_counter() - started) * 1000
        back = []
        for _ in range(5):
            seq = rng.randint(last // 2, last - 1)
            started = time.perf_counter()
            await replayer.blame(seq, info["busiest_cell"])
            back.append(time.perf_counter() - started)
        authors = sorted({line.user_id for line in lines})
        print(
            f"blame of the busiest cell at the end ({len(lines)} lines by {', '.join(authors)}): "
            f"cold {cold * 1000:.0f} ms (from the blame kept with the nearest checkpoint, then "
            f"the records after it), then {warm:.1f} ms from the cache; going back to a random "
            f"earlier moment: {min(back) * 1000:.0f}-{max(back) * 1000:.0f} ms"
        )


async def overhead(root: Path, readers: int, keys: int, rounds: int) -> None:
    rates: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(rounds):
        for record in (False, True) if round_ % 2 == 0 else (True, False):
            store = root.parent / f"relay-{round_}-{record}.sqlite"
            rates[record].append(
                await relay(root, store, record=record, readers=readers, keys=keys)
            )
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    print("  each run without:", " ".join(f"{r:,.0f}" for r in rates[False]))
    print("  each run with:   ", " ".join(f"{r:,.0f}" for r in rates[True]))
    print(
        f"relay, 1 typist -> {readers} readers, {keys} keystrokes + presence, SQLite log, "
        f"median of {rounds}: without recorder {off:,.0f} updates/s, with {on:,.0f} updates/s "
        f"-> overhead {100 * (off - on) / off:.1f}%"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--seeks", type=int, default=200)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--keys", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        asyncio.run(seek_and_blame(base / "session.sqlite", args.updates, args.seeks))
        root = base / "notebooks"
        write_bench_notebook(root / "bench.ipynb")
        asyncio.run(overhead(root, args.readers, args.keys, args.rounds))
    print(f"(pid {os.getpid()}, {os.cpu_count()} CPUs, shared machine: read ratios, not absolutes)")


if __name__ == "__main__":
    main()
