"""Appends to a SQLiteStore forever, printing "seq hex(update)" as each append returns.

Run by test_crash_durability.py, which kills this process with SIGKILL mid-flight.
Usage: python appender_process.py STORE_PATH WRITERS
"""

from __future__ import annotations

import asyncio
import sys

from pairbook.store import SQLiteStore


async def append_forever(store: SQLiteStore, writer: int) -> None:
    count = 0
    while True:
        update = f"writer {writer} update {count}".encode()
        seq = await store.append("crash.ipynb", update, f"user{writer}", [writer])
        sys.stdout.write(f"{seq} {update.hex()}\n")
        sys.stdout.flush()
        count += 1


async def main(path: str, writers: int) -> None:
    async with SQLiteStore(path, synchronous="normal") as store:
        await asyncio.gather(*(append_forever(store, writer) for writer in range(writers)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
