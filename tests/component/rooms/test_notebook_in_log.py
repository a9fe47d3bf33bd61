"""The notebook a room's log holds, read for a download while another process keeps the
room: a long log is replayed off the event loop, so the rooms of this process keep going."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc

from pairbook.notebook import base_history_of, read_notebook
from pairbook.rooms.loader import HISTORY_ID, notebook_in_log
from pairbook.store import MemoryStore
from pairbook.types import SERVER_USER, RoomId
from support.notebooks import write_notebook

ROOM = RoomId("demo.ipynb")
RECORDS = 20_000


async def test_a_long_log_is_replayed_while_the_event_loop_runs_on(tmp_path: Path) -> None:
    nb = read_notebook(write_notebook(tmp_path / "demo.ipynb")).nb
    base = base_history_of(nb)
    doc: Doc[Any] = Doc(client_id=77)
    doc.apply_update(base.update)
    source = doc.get("cells", type=Array)[0]["source"]
    async with MemoryStore() as store:
        await store.append(ROOM, base.update, SERVER_USER, [])
        await store.set_meta(ROOM, HISTORY_ID, base.history_id)
        for _ in range(RECORDS):  # one keystroke each
            before = doc.get_state()
            source.insert(len(source), "y")
            await store.append(ROOM, doc.get_update(before), "ana", [77])
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
