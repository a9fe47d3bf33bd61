"""Replay benchmark: seek and blame over a 100,000-update session, the recorder's overhead
on relaying, and the log size per hour of typing.

Run: .venv/bin/python bench/replay/run.py [--updates 100000] [--seeks 200] [--blames 50]
(`--rounds 0`: seek and blame only, without the recording overhead)
Everything runs in this process against real SQLite files in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The repository's root: this script's siblings as bench.replay.* (so mypy, which checks
# every bench script together, tells them from the other benches' modules).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.replay.overhead import relay
from bench.replay.session import Clock, build_session
from bench.replay.support_notebook import write_bench_notebook

from pairbook.record import Replayer
from pairbook.store import SQLiteStore

ROOM = "session.ipynb"


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def seek_and_blame(path: Path, updates: int, seeks: int, blames: int) -> None:
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
    # The build's own garbage (its documents, observers and records, in reference cycles)
    # is collected now: else the full collection that frees it lands in one of the timed
    # seeks or blames below (80-110 ms of one blame in the first runs), charged to it.
    gc.collect()
    last = await seeks_then_blames(path, info["busiest_cell"], seeks)
    await cold_blames(path, info["busiest_cell"], last, blames)


async def seeks_then_blames(path: Path, cell: str, seeks: int) -> int:
    """Seeks to random moments, then blames on the same replayer: at the end, again from
    its cache, and back to earlier moments. The log's last seq."""
    async with SQLiteStore(path) as store:
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
        lines = await replayer.blame(last, cell)
        at_end = time.perf_counter() - started
        started = time.perf_counter()
        await replayer.blame(last, cell)
        warm = (time.perf_counter() - started) * 1000
        back = []
        for _ in range(5):
            seq = rng.randint(last // 2, last - 1)
            started = time.perf_counter()
            await replayer.blame(seq, cell)
            back.append(time.perf_counter() - started)
        authors = sorted({line.user_id for line in lines})
        print(
            f"blame of the busiest cell at the end ({len(lines)} lines by {', '.join(authors)}): "
            f"{at_end * 1000:.0f} ms (the end is a checkpoint: its kept blame, no record "
            f"replayed), then {warm:.1f} ms from the cache; going back to a random earlier "
            f"moment: {min(back) * 1000:.0f}-{max(back) * 1000:.0f} ms"
        )
    return last


async def cold_blames(path: Path, cell: str, last: int, count: int) -> None:
    """Blame asked cold: each on a fresh store connection and a fresh replayer (nothing kept
    in the process; the file is in the OS's cache, as in a running server), at random
    moments and at the worst one, a record before a checkpoint (999 records to replay)."""
    rng = random.Random(2)
    moments = [rng.randint(1, last) for _ in range(count)]
    worst = [last - 1, last // 2 - 1, last // 4 - 1]
    walls: list[float] = []
    cpus: list[float] = []
    for seq in moments + worst:
        async with SQLiteStore(path) as store:
            replayer = Replayer(store, ROOM, save_checkpoints=False)
            started, cpu = time.perf_counter(), time.process_time()
            with contextlib.suppress(LookupError):  # the cell was made after that moment
                await replayer.blame(seq, cell)
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
    n = len(moments)
    print(
        f"blame cold ({n} random moments, a fresh connection and replayer each): wall p50 "
        f"{pct(walls[:n], 50):.0f} ms, p99 {pct(walls[:n], 99):.0f} ms, max {max(walls[:n]):.0f}"
        f" ms; CPU p50 {pct(cpus[:n], 50):.0f} ms, p99 {pct(cpus[:n], 99):.0f} ms"
    )
    print(
        "blame cold a record before a checkpoint (999 records replayed), at "
        + ", ".join(
            f"{seq:,}: {wall:.0f} ms ({cpu:.0f} ms CPU)"
            for seq, wall, cpu in zip(worst, walls[n:], cpus[n:], strict=True)
        )
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
    parser.add_argument("--blames", type=int, default=50, help="cold blames at random moments")
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--keys", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        asyncio.run(seek_and_blame(base / "session.sqlite", args.updates, args.seeks, args.blames))
        if args.rounds < 1:
            return
        root = base / "notebooks"
        write_bench_notebook(root / "bench.ipynb")
        asyncio.run(overhead(root, args.readers, args.keys, args.rounds))
    print(f"(pid {os.getpid()}, {os.cpu_count()} CPUs, shared machine: read ratios, not absolutes)")


if __name__ == "__main__":
    main()
