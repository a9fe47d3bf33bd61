"""Appends to a store forever, printing "seq hex(update)" as each append returns.

Run by test_crash_durability.py and test_postgres_processes.py, which kill this process with
SIGKILL mid-flight. Usage: python appender_process.py STORE WRITERS [NAME]
(STORE: an SQLite path or a postgresql:// URL; NAME tells this process's updates apart).
"""

from __future__ import annotations

import asyncio
import sys

from pairbook.store import Store, open_store


async def append_forever(store: Store, name: str, writer: int) -> None:
    count = 0
    while True:
        update = f"{name} writer {writer} update {count}".encode()
        seq = await store.append("crash.ipynb", update, f"user{writer}", [writer])
        sys.stdout.write(f"{seq} {update.hex()}\n")
        sys.stdout.flush()
        count += 1


async def main(url: str, writers: int, name: str) -> None:
    async with open_store(url, synchronous="normal") as store:
        await asyncio.gather(*(append_forever(store, name, writer) for writer in range(writers)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "p"))
