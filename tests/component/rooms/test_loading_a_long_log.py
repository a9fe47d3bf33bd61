"""Opening a room whose log has a long tail after its snapshot: the log is replayed off the
event loop (the other rooms of the process keep going), into the very document the loop
would have made, skipped records, pending structs and all."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text, merge_updates

from pairbook.notebook import base_history_of, read_notebook
from pairbook.notebook.canonical_update import canonicalize_update
from pairbook.protocol.update import decode_state_vector
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import HISTORY_ID, load_room
from pairbook.store import MemoryStore, Store
from pairbook.types import SERVER_MAPS, SERVER_USER, RoomId
from support.longlog import log_keystrokes
from support.notebooks import write_notebook
from support.updates import half_appliable_update, legacy_json_update

ROOM = RoomId("demo.ipynb")
RECORDS = 20_000


class TurnsAtSkips(logging.Handler):
    """Notes how many times the event loop had turned when the replay skipped a record."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = 0
        self.at_skips: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("log record skipped"):
            self.at_skips.append(self.turns)


async def test_a_room_with_a_long_log_opens_while_the_event_loop_runs_on(
    tmp_path: Path,
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    watch = TurnsAtSkips()
    async with MemoryStore() as store:
        # A record the replay skips before the keystrokes and one after them: the loop's
        # turns in between are turns taken while the replay went through the keystrokes.
        await store.append(ROOM, legacy_json_update(), "mallory", [7])
        await log_keystrokes(store, ROOM, path, RECORDS)
        await store.append(ROOM, legacy_json_update(), "mallory", [7])
        loader_log = logging.getLogger("pairbook.loader")
        loader_log.addHandler(watch)
        try:
            opening = asyncio.create_task(
                load_room(ROOM, path, store, RoomCounters(), sync_timeout=15.0)
            )
            while not opening.done():  # what the other rooms of the process get done
                await asyncio.sleep(0)
                watch.turns += 1
            room, _ = await opening
        finally:
            loader_log.removeHandler(watch)
    assert room.last_seq == RECORDS + 3
    assert str(room.doc.get("cells", type=Array)[0]["source"]).endswith("y" * RECORDS)
    first, last = watch.at_skips
    # On the loop the replay would hold it from the first skip to the last: no turn at all.
    assert last - first > 100, (first, last)


def replayed_on_the_spot(snapshot: bytes | None, records: list[bytes]) -> Doc[Any]:
    """What replaying the log record by record on a Doc makes: the reference."""
    doc: Doc[Any] = Doc()
    if snapshot is not None:
        doc.apply_update(snapshot)
    for update in records:
        try:
            doc.apply_update(update)
        except BaseException:  # pycrdt panics on some: skipped, as a room does
            continue
    return doc


async def log_with_everything(store: Store, path: Path) -> tuple[bytes, bytes]:
    """A snapshot, then keystrokes, two records pycrdt refuses (one of them half taken), an
    update whose last struct waits behind a skip, and a write of the server's own maps.
    Returns the snapshot and the update that fills the skip."""
    base = base_history_of(read_notebook(path).nb)
    ana: Doc[Any] = Doc(client_id=101)
    ana.apply_update(base.update)
    scratch = ana.get("scratch", type=Text)
    await store.append(ROOM, base.update, SERVER_USER, [])
    await store.set_meta(ROOM, HISTORY_ID, base.history_id)
    await store.claim(ROOM, 101, "ana")

    def edit(text: str) -> bytes:
        before = ana.get_state()
        scratch.insert(len(scratch), text)
        return ana.get_update(before)

    seq = 1
    for key in "snap":
        seq = await store.append(ROOM, edit(key), "ana", [101])
    snapshot = ana.get_update()
    await store.save_snapshot(ROOM, snapshot, seq)
    await store.append(ROOM, edit("shot"), "ana", [101])
    await store.append(ROOM, legacy_json_update(), "mallory", [7])
    await store.append(ROOM, half_appliable_update(), "mallory", [4242])
    first, middle, last = edit("a"), edit("bc"), edit("d")
    await store.append(ROOM, merge_updates(first, last), "ana", [101])  # clock of 'd' waits
    server: Doc[Any] = Doc(client_id=5)
    server.apply_update(ana.get_update())
    kernel = server.get("kernel", type=Map)
    before = server.get_state()
    kernel["status"] = "idle"
    await store.append(ROOM, server.get_update(before), SERVER_MAPS, [5])
    return snapshot, middle


async def test_the_room_holds_exactly_what_its_log_replays_to(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    counters = RoomCounters()
    async with MemoryStore() as store:
        snapshot, middle = await log_with_everything(store, path)
        roomlog = await store.load(ROOM)
        assert roomlog is not None
        assert roomlog.snapshot == snapshot
        with caplog.at_level(logging.ERROR, logger="pairbook.loader"):
            room, _ = await load_room(ROOM, path, store, counters, sync_timeout=15.0)
    expected = replayed_on_the_spot(snapshot, [r.update for r in roomlog.updates])
    assert decode_state_vector(room.doc.get_state()) == decode_state_vector(expected.get_state())
    # (pycrdt encodes a JSON object's keys in a random order: compared with keys sorted.)
    assert canonicalize_update(room.doc.get_update()) == canonicalize_update(expected.get_update())
    assert counters.skipped_records == 2
    skipped = [r for r in caplog.records if r.getMessage().startswith("log record skipped")]
    assert [r.__dict__["user"] for r in skipped] == ["mallory", "mallory"]
    assert [r.__dict__["partly"] for r in skipped] == [False, True]
    assert room.waiting  # the 'd' waits in the document, as in the room that logged it
    assert room.last_seq == roomlog.last_seq
    assert room.history_id == roomlog.meta[HISTORY_ID]
    assert room.claims == {**roomlog.claims, room.doc.client_id: SERVER_USER}
    assert room.doc.client_id not in roomlog.claims
    assert room.protected.contains((5, 0))  # the server's own-map write after the snapshot
    # What waited comes in with the update that fills the skip, in both documents alike.
    room.doc.apply_update(middle)
    expected.apply_update(middle)
    assert canonicalize_update(room.doc.get_update()) == canonicalize_update(expected.get_update())
    assert str(room.doc.get("scratch", type=Text)) == str(expected.get("scratch", type=Text))
    assert "snapshotabcd" in str(room.doc.get("scratch", type=Text))
