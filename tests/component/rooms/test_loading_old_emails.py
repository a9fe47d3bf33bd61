"""A room opened from a log from before 6461f2c, whose `mob` map lists people with their
emails (in a record, or in the snapshot): on the process that owns the room the document
keeps them (its mob service reads them for the owner's summary, then writes the map again
without them); on another process (`emails=False`) the log is replayed without them, into
the very structs, so the owner's rewrite applies to that copy as to its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map

from pairbook.notebook import base_history_of, read_notebook
from pairbook.notebook.canonical_update import canonicalize_update
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import HISTORY_ID, load_room
from pairbook.store import MemoryStore, Store
from pairbook.types import SERVER_MAPS, SERVER_USER, RoomId
from support.notebooks import write_notebook

ROOM = RoomId("demo.ipynb")
OLD = {
    "u-bo": {"id": "u-bo", "name": "Bo", "color": "#336699", "email": "bo@example.org"},
    "u-vi": {"id": "u-vi", "name": "Vi", "color": "#993366", "email": "vi@example.org"},
}
NAMED = {uid: {k: v for k, v in p.items() if k != "email"} for uid, p in OLD.items()}


async def log_old_people(store: Store, path: Path, *, snapshot: bool) -> None:
    """The room's base, then the server's write of the `mob` map as it was before 6461f2c;
    with `snapshot`, the room's snapshot holds it."""
    base = base_history_of(read_notebook(path).nb)
    await store.append(ROOM, base.update, SERVER_USER, [])
    await store.set_meta(ROOM, HISTORY_ID, base.history_id)
    server: Doc[Any] = Doc(client_id=5)
    server.apply_update(base.update)
    before = server.get_state()
    server.get("mob", type=Map)["people"] = OLD
    seq = await store.append(ROOM, server.get_update(before), SERVER_MAPS, [5])
    if snapshot:
        await store.save_snapshot(ROOM, server.get_update(), seq)


def people(doc: Doc[Any]) -> Any:
    return doc.get("mob", type=Map).to_py()["people"]


def copy_of(doc: Doc[Any]) -> Doc[Any]:
    copy: Doc[Any] = Doc()
    copy.apply_update(doc.get_update())
    return copy


@pytest.mark.parametrize("snapshot", [False, True], ids=["in-a-record", "in-the-snapshot"])
async def test_a_process_not_owning_the_room_replays_an_old_log_without_emails(
    tmp_path: Path, snapshot: bool
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    async with MemoryStore() as store:
        await log_old_people(store, path, snapshot=snapshot)
        owner, _ = await load_room(ROOM, path, store, RoomCounters(), sync_timeout=15.0)
        other, _ = await load_room(
            ROOM, path, store, RoomCounters(), sync_timeout=15.0, emails=False
        )
        for room in (owner, other):
            await room.settle()
    assert people(owner.doc) == OLD
    assert people(other.doc) == NAMED
    assert b"example.org" not in other.doc.get_update()  # what a first sync there sends
    assert other.doc.get_state() == owner.doc.get_state()  # the same structs
    # The owner writes the map again without emails; its update applies to the other copy.
    ours, theirs = copy_of(owner.doc), copy_of(other.doc)
    before = ours.get_state()
    ours.get("mob", type=Map)["people"] = NAMED
    rewrite = ours.get_update(before)
    theirs.apply_update(rewrite)
    assert canonicalize_update(theirs.get_update()) == canonicalize_update(ours.get_update())
    assert b"example.org" not in ours.get_update()
