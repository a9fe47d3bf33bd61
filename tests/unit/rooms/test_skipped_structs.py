"""An update with a skip in it (as Yjs's mergeUpdates writes for a gap): what follows the
skip can stay pending in the room's document, and the room must know it does not hold it,
or the missing part, sent later, is taken for a duplicate and never applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text, merge_updates

from pairbook.notebook.applied import Waiting
from pairbook.protocol.update import StructKind, decode_state_vector, decode_update
from pairbook.rooms import receiver
from pairbook.rooms.structure import Part
from pairbook.rooms.trial import trial_fault
from support.notebooks import write_notebook
from unit.rooms.roomkit import RoomKit


def test_what_follows_a_skip_is_not_taken_as_held_and_arrives_later(tmp_path: Path) -> None:
    kit = RoomKit(write_notebook(tmp_path / "demo.ipynb"))
    try:
        client: Doc[Any] = Doc(client_id=71)
        items = client.get("scratch", type=Array)
        updates = []
        for value in range(4):
            before = client.get_state()
            items.append(value)
            updates.append(client.get_update(before))
        gappy = merge_updates(updates[0], updates[3])  # items 0 and 3, a skip over 1-2
        kinds = [struct.kind for struct in decode_update(gappy).structs]
        assert kinds == [StructKind.ITEM, StructKind.SKIP, StructKind.ITEM]
        room = kit.room
        assert kit.send(gappy)
        held = decode_state_vector(room.doc.get_state())
        assert held[71] == 1  # item 3 waits for its origin, in the gap
        assert room.sync.state_vector == held
        assert kit.send(client.get_update())  # the whole history, the gap included
        assert room.doc.get("scratch", type=Array).to_py() == [0, 1, 2, 3]
        assert room.sync.state_vector == decode_state_vector(room.doc.get_state())
        kit.check()  # and the log holds the same document
    finally:
        kit.close()


def test_a_cell_that_waited_in_the_document_is_part_of_the_structure_once_it_arrives(
    tmp_path: Path,
) -> None:
    # The room's structure index is built from the document, which leaves pending structs
    # out (a room loaded from a log while a cell waits): once it arrives the index has it.
    kit = RoomKit(write_notebook(tmp_path / "demo.ipynb"))
    try:
        room = kit.room
        client: Doc[Any] = Doc(client_id=71)
        client.apply_update(room.doc.get_update())
        updates = []
        for name in ("a", "b", "c"):
            before = client.get_state()
            cell = {"id": name, "cell_type": "markdown", "source": Text(name)}
            client.get("cells", type=Array).append(Map({**cell, "metadata": Map()}))
            updates.append(client.get_update(before))
        waiting_cell = decode_update(updates[2]).structs[0]
        assert kit.send(merge_updates(updates[0], updates[2]))  # cell c waits for cell b
        assert room.waiting
        room.restructured()  # as a room loaded with it waiting: indexed without it
        assert room.structure.part((71, waiting_cell.clock)) is Part.NONE
        assert kit.send(updates[1])  # cell b arrives, and c with it
        assert [str(c["id"]) for c in room.doc.get("cells", type=Array)][-3:] == ["a", "b", "c"]
        assert room.structure.part((71, waiting_cell.clock)) is Part.CELL
    finally:
        kit.close()


def test_while_structs_wait_only_their_clients_updates_are_tried_on_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update that fills a gap integrates what waited behind it, whatever it looks like,
    so it is tried on a copy that holds what waits; a keystroke of anyone else is not (a
    struct left waiting for good must not cost every later keystroke a copy)."""
    tried: list[bytes] = []

    def counted(doc: Doc[Any], update: bytes, waiting: Waiting | None = None) -> str | None:
        tried.append(update)
        return trial_fault(doc, update, waiting)

    monkeypatch.setattr(receiver, "trial_fault", counted)
    kit = RoomKit(write_notebook(tmp_path / "demo.ipynb"))
    try:
        waiter: Doc[Any] = Doc(client_id=71)
        waiter.apply_update(kit.room.doc.get_update())
        items = waiter.get("scratch", type=Array)
        updates = []
        for value in range(3):
            before = waiter.get_state()
            items.append(value)
            updates.append(waiter.get_update(before))
        assert kit.send(merge_updates(updates[0], updates[2]))  # item 2 waits for item 1
        assert kit.room.waiting
        typist: Doc[Any] = Doc(client_id=72)
        typist.apply_update(kit.room.doc.get_update())
        before = typist.get_state()
        typist.get("cells", type=Array)[1]["source"].insert(0, "#")
        assert kit.send(typist.get_update(before))
        assert tried == []
        assert kit.send(updates[1])  # fills the gap
        assert tried == [updates[1]]
        assert kit.room.doc.get("scratch", type=Array).to_py() == [0, 1, 2]
        kit.check()
    finally:
        kit.close()
