"""What the readable .py twin adds to an autosave, beside what the save already did.

For notebooks of 50, 200 and 1,000 code cells (each five lines and a stream output), the
median over repeats of: serialising the .ipynb (what every autosave did before the twin: the
reference), writing the twin with jupytext (what each save adds), and merging a one-cell
edit of the .py (reading back the twin as last written for the base, reading the edited
one, the three-way merge: only when the .py was edited), and the poll's look at the twin
after each save that wrote it (a room's TwinSync reading the twin it knows, on the event
loop and in a thread: its stat is taken before the read, so the look after pairbook's own
write reads the file). The twin's jupytext work runs in a worker thread, not on the event
loop; the figures are its CPU cost. Run:

    PYTHONPATH=server .venv/bin/python bench/twin.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pairbook.notebook import serialize_notebook
from pairbook.notebook.twin import notebook_to_twin, twin_to_cells
from pairbook.notebook.twinmerge import base_of, merge_twin
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import load_room
from pairbook.store import MemoryStore
from pairbook.types import RoomId

FMT = "py:percent"


def notebook(cells: int) -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {"pairbook": {"last_run": {"user": {"name": "Ana"}, "id": str(i)}}},
                "source": f"x{i} = {i}\nprint(x{i})\n# a comment\nfor j in range(3):\n    pass",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": f"{i}\n"}],
                "execution_count": i + 1,
            }
            for i in range(cells)
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def median_ms(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def look_after_a_save(nb: dict[str, Any], repeats: int) -> float:
    """The median ms of a poll's look at a twin it knows, as after each save that wrote it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.ipynb"
        path.write_bytes(serialize_notebook(nb))
        async with MemoryStore() as store:
            room, files = await load_room(
                RoomId("demo.ipynb"), path, store, RoomCounters(), sync_timeout=15.0,
                root=Path(folder),
            )  # fmt: skip
            await files.poll()  # writes the twin
            sync = files.twin
            assert sync is not None  # the twin is on by default
            twin, times = sync.path, []
            assert twin is not None  # written by the poll
            for stamp in range(repeats):
                os.utime(twin, ns=(stamp, stamp))  # a new stat, as after a save that wrote it
                start = time.perf_counter()
                await sync.sync(room_changed=False)
                times.append((time.perf_counter() - start) * 1000)
            await room.settle()
    return statistics.median(times)


def row(cells: int) -> list[float]:
    nb = notebook(cells)
    repeats = 15 if cells < 1000 else 5
    text = notebook_to_twin(nb, FMT)
    edited = text.replace(f"x{cells // 2} = {cells // 2}\n", "x = 'edited'\n", 1)

    def merge_an_edit() -> object:
        base = base_of(nb, twin_to_cells(text, FMT))  # the base is read back at merge time
        return merge_twin(base, twin_to_cells(edited, FMT), nb)

    return [
        median_ms(lambda: serialize_notebook(nb), repeats),
        median_ms(lambda: notebook_to_twin(nb, FMT), repeats),
        median_ms(merge_an_edit, repeats),
        asyncio.run(look_after_a_save(nb, repeats)),
    ]


def main() -> None:
    print(
        "| cells | .ipynb serialise (reference) | twin write (each save) | merge an edited .py "
        "| look after a save |"
    )
    print("|---|---|---|---|---|")
    for cells in (50, 200, 1000):
        print(f"| {cells} | " + " | ".join(f"{f:.1f} ms" for f in row(cells)) + " |")


if __name__ == "__main__":
    main()
