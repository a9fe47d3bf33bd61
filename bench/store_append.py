"""How fast `Store.append` acknowledges: appends/s and p50/p99 latency, per back end.

The server awaits `append` before relaying an update to the other peers, so its latency is
on the path of every keystroke. Run: .venv/bin/python bench/store_append.py [--seconds 2]
The SQLite file goes in --dir (default: a temporary directory); fsync cost depends on it.
PostgreSQL rows run in a fresh schema of --postgres (default $PAIRBOOK_TEST_POSTGRES, else
the local `test` database), dropped afterwards; "postgres x2" splits the appenders over two
stores (two writer connections, as two pairbook processes) appending to the same rooms.
"sqlite lone" is one person typing: one appender, 10 ms between appends, so that every
append is lone (`store.lone`: committed by the event loop, most in one statement).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pairbook.store import MemoryStore, SQLiteStore, Store
from pairbook.store.postgres import PostgresStore

UPDATE = os.urandom(64)  # about a keystroke's Yjs update
ROOMS = 10


Result = tuple[int, float, list[float]]


async def run(stores: list[Store], appenders: int, seconds: float, pause: float = 0.0) -> Result:
    """Appenders take the stores in turn, each waiting `pause` seconds after every append;
    every store is open for the whole measurement."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def append_until_deadline(appender: int) -> None:
        store = stores[appender % len(stores)]
        room = f"room-{appender % ROOMS}.ipynb"
        while (started := time.perf_counter()) < deadline:
            await store.append(room, UPDATE, f"user-{appender}", [appender])
            latencies.append(time.perf_counter() - started)
            if pause:
                await asyncio.sleep(pause)

    for store in stores:
        await store.open()
    try:
        began = time.perf_counter()
        await asyncio.gather(*(append_until_deadline(a) for a in range(appenders)))
        elapsed = time.perf_counter() - began
    finally:
        for store in stores:
            await store.close()
    return len(latencies), elapsed, latencies


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A store URL on a fresh schema of the database `url` names, dropped afterwards."""
    name = sql.Identifier(f"pairbook_bench_{uuid.uuid4().hex[:8]}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(name))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{name.as_string()}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(name))


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite files go")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("PAIRBOOK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1/test"),
        help="database for the PostgreSQL rows ('' leaves them out)",
    )
    args = parser.parse_args()
    run_loop: Callable[[Coroutine[Any, Any, Result]], Result] = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        run_loop = uvloop.run

    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        backends: list[tuple[str, Callable[[str], list[Store]]]] = [
            ("memory", lambda _: [MemoryStore()]),
            ("sqlite normal", lambda _: [SQLiteStore(Path(directory) / "normal.sqlite")]),
            (
                "sqlite full",
                lambda _: [SQLiteStore(Path(directory) / "full.sqlite", synchronous="full")],
            ),
        ]
        if args.postgres:
            backends += [
                ("postgres", lambda url: [PostgresStore(url)]),
                ("postgres x2", lambda url: [PostgresStore(url), PostgresStore(url)]),
            ]
        print(
            f"{args.loop} loop; SQLite files in {directory}; "
            f"{len(UPDATE)}-byte updates over {ROOMS} rooms"
        )
        header = f"{'back end':<14} {'appenders':>9} {'appends/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
        print(f"{header} {'appends/commit':>14}")
        rows = [(appenders, name, make, 0.0) for appenders in (1, 50) for name, make in backends]
        lone: list[Store] = [SQLiteStore(Path(directory) / "lone.sqlite")]
        rows.append((1, "sqlite lone", lambda _: lone, 0.01))
        for appenders, name, make, pause in rows:
            in_postgres = name.startswith("postgres")
            with postgres_schema(args.postgres) if in_postgres else nullcontext("") as url:
                stores = make(url)
                count, elapsed, latencies = run_loop(run(stores, appenders, args.seconds, pause))
            appended = sum(store.stats().appends for store in stores)
            commits = sum(store.stats().commits for store in stores)
            per_commit = appended / commits if commits else 0.0
            p50, p99 = (percentile(latencies, q) * 1e3 for q in (50, 99))
            print(
                f"{name:<14} {appenders:>9} {count / elapsed:>10,.0f} "
                f"{p50:>8.3f} {p99:>8.3f} {per_commit:>14.1f}"
            )


if __name__ == "__main__":
    main()
