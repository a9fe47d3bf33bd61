"""A room's log with a long tail: its notebook's base history, then one-keystroke records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycrdt import Array, Doc

from pairbook.notebook import base_history_of, read_notebook
from pairbook.rooms.loader import HISTORY_ID
from pairbook.store import Store
from pairbook.types import SERVER_USER, RoomId

TYPIST = 77
"""The Yjs client id the keystrokes are written with (claimed by "ana")."""


async def log_keystrokes(store: Store, room: RoomId, path: Path, records: int) -> Doc[Any]:
    """Log the base history of the notebook at `path` and its history id, then `records`
    updates typing one "y" each at the end of the first cell. Returns the typist's Doc."""
    base = base_history_of(read_notebook(path).nb)
    doc: Doc[Any] = Doc(client_id=TYPIST)
    doc.apply_update(base.update)
    source = doc.get("cells", type=Array)[0]["source"]
    await store.append(room, base.update, SERVER_USER, [])
    await store.set_meta(room, HISTORY_ID, base.history_id)
    for _ in range(records):
        before = doc.get_state()
        source.insert(len(source), "y")
        await store.append(room, doc.get_update(before), "ana", [TYPIST])
    return doc
