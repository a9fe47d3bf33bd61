"""What a room pays for its delete set: `Room._deletions` (the sync machine asks for it when a
resyncing peer's step 2 carries deletions and the document changed since the last time).

It was noted as "re-encodes the whole document on every resync": it does not. pycrdt's
`get_update(state vector)` at the document's own state carries no structs, only the delete
set, so its cost follows the number of deleted ranges, not the notebook's size; this prints
the parts (pycrdt's encoding, pairbook's decoding) on the fan-out bench's 5 MB notebook,
freshly built, after every cell re-ran, and after heavy typing.
Run: .venv/bin/python bench/deletions.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc

from pairbook.protocol.update import decode_update
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import load_room
from pairbook.rooms.room import Room
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId

sys.path.insert(0, str(Path(__file__).resolve().parent / "fanout"))
from notebooks import large_notebook, write_notebook


def median_ms(call: Callable[[], object], times: int = 20) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        spent.append(time.perf_counter() - start)
    return statistics.median(spent) * 1e3


def rerun_every_cell(doc: Doc[Any]) -> None:
    """Each cell's outputs replaced (a re-run) and a short edit with backspaces."""
    for cell in doc.get("cells", type=Array):
        outputs = cell["outputs"]
        del outputs[0 : len(outputs)]
        source = cell["source"]
        source.insert(len(str(source)), "x" * 20)
        for k in range(10):
            del source[len(str(source)) - 1 - k * 2]


def type_heavily(doc: Doc[Any]) -> None:
    """200 separate deletions in every cell's source (every other character typed)."""
    for cell in doc.get("cells", type=Array):
        source = cell["source"]
        for _ in range(200):
            source.insert(len(str(source)), "ab")
        for k in range(200):
            del source[len(str(source)) - 2 - k]


def report(label: str, room: Room) -> None:
    doc = room.doc
    state = doc.get_state()
    encoded = doc.get_update(state)
    ranges = sum(len(spans) for spans in decode_update(encoded).delete_set.values())
    print(
        f"{label:<22} {ranges:>7,} ranges {len(encoded):>8,} B   "
        f"get_update(state) {median_ms(lambda: doc.get_update(state)):6.2f} ms   "
        f"decode {median_ms(lambda: decode_update(encoded)):6.2f} ms   "
        f"deletions() {median_ms(room._deletions):6.2f} ms   "
        f"(whole document get_update() {median_ms(doc.get_update, 5):6.2f} ms)"
    )


async def main() -> None:
    root = Path(tempfile.mkdtemp())
    size = write_notebook(root / "big.ipynb", large_notebook())
    print(f"notebook {size / 1e6:.1f} MB")
    async with MemoryStore() as store:
        path = root / "big.ipynb"
        room, _ = await load_room(RoomId("big.ipynb"), path, store, RoomCounters(), sync_timeout=10)
        report("built from its file", room)
        await room.apply_server_edit(rerun_every_cell, UserId("ana"))
        report("every cell re-ran", room)
        await room.apply_server_edit(type_heavily, UserId("ana"))
        report("heavy typing", room)


if __name__ == "__main__":
    asyncio.run(main())
