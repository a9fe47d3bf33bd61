"""An update with a skip in it (as Yjs's mergeUpdates writes for a gap): what follows the
skip can stay pending in the room's document, and the room must know it does not hold it,
or the missing part, sent later, is taken for a duplicate and never applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycrdt import Array, Doc, merge_updates

from pairbook.protocol.update import StructKind, decode_state_vector, decode_update
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
