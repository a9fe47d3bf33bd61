"""The notebook a room's log holds, read for a download while another process keeps the
room: a long log is replayed off the event loop, so the rooms of this process keep going."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pairbook.rooms.loader import notebook_in_log
from pairbook.store import MemoryStore
from pairbook.types import RoomId
from support.longlog import log_keystrokes
from support.notebooks import write_notebook

ROOM = RoomId("demo.ipynb")
RECORDS = 20_000


async def test_a_long_log_is_replayed_while_the_event_loop_runs_on(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    async with MemoryStore() as store:
        await log_keystrokes(store, ROOM, path, RECORDS)
        reading = asyncio.create_task(notebook_in_log(ROOM, store))
        turns = 0  # what the other rooms of the process get done meanwhile
        while not reading.done():
            await asyncio.sleep(0)
            turns += 1
        found = await reading
    assert found is not None
    assert found["cells"][0]["source"].endswith("y" * RECORDS)
    # On the loop the replay would let it turn only at the store's awaits (a handful).
    assert turns > 100
