"""summary_from_log over a MemoryStore: who changed which cells, and nothing kept afterwards."""

from __future__ import annotations

import gc
from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.mob.session_log import summary_from_log
from pairbook.store import MemoryStore
from pairbook.types import RoomId

ROOM = RoomId("nb.ipynb")


def live_docs() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Doc))


async def logged_room(store: MemoryStore) -> None:
    doc: Doc[Any] = Doc()
    ycells = doc.get("cells", type=Array)
    with doc.transaction():
        cell = Map({"id": "c1", "cell_type": "code", "source": Text("x = 1")})
        ycells.append(cell)
    await store.append(ROOM, doc.get_update(), "ada", [doc.client_id])


async def test_a_summary_credits_the_cells_changed_and_keeps_no_document() -> None:
    async with MemoryStore() as store:
        await logged_room(store)
        summary = await summary_from_log(store, ROOM, since=None, now=10.0, profiles={})
        assert summary is not None
        assert [(c.person.id, c.changed) for c in summary.contributors] == [("ada", ("c1",))]
        before = live_docs()
        for _ in range(5):
            await summary_from_log(store, ROOM, since=None, now=10.0, profiles={})
        # its cells observer held the replayed Doc from Rust, out of the collector's reach
        assert live_docs() == before
