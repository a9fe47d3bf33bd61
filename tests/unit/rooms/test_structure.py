"""CellStructure tells a keystroke from an update that touches the notebook's structure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.notebook.cellshape import cell_faults
from pairbook.protocol.lib0 import Encoder
from pairbook.protocol.update import ID, decode_update
from pairbook.rooms.structure import CellStructure, Part


def notebook() -> Doc[Any]:
    doc: Doc[Any] = Doc()
    cells = doc.get("cells", type=Array)
    meta = doc.get("meta", type=Map)
    with doc.transaction():
        meta["metadata"] = Map({"language": "python"})
        for index in range(3):
            cell = {"id": f"c{index}", "cell_type": "code", "source": Text(f"x = {index}")}
            cells.append(Map({**cell, "metadata": Map(), "outputs": Array()}))
    return doc


def edit(doc: Doc[Any], change: Callable[[Doc[Any]], None]) -> bytes:
    """The transaction's own update, as a browser sends it."""
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    with doc.transaction():
        change(doc)
    doc.unobserve(subscription)
    (update,) = updates
    return update


def touches(doc: Doc[Any], change: Callable[[Doc[Any]], None]) -> bool:
    structure = CellStructure.of_update(doc.get_update())
    return structure.read(decode_update(edit(doc, change))).touches


def cells(doc: Doc[Any]) -> Array[Any]:
    ycells: Array[Any] = doc.get("cells", type=Array)
    return ycells


def test_typing_and_deleting_text_do_not_touch_the_structure() -> None:
    doc = notebook()
    assert not touches(doc, lambda d: cells(d)[1]["source"].insert(2, "yz"))
    assert not touches(doc, lambda d: cells(d)[1]["source"].__delitem__(0))
    assert not touches(doc, lambda d: cells(d)[2]["metadata"].__setitem__("tags", ["a"]))


def test_cells_their_entries_and_meta_are_the_structure() -> None:
    assert touches(notebook(), lambda d: cells(d).insert(1, 42))
    assert touches(notebook(), lambda d: cells(d)[1].__setitem__("source", "plain"))
    assert touches(notebook(), lambda d: cells(d)[1].__delitem__("outputs"))
    assert touches(notebook(), lambda d: cells(d).__delitem__(0))
    assert touches(notebook(), lambda d: d.get("meta", type=Map).__setitem__("metadata", 5))
    assert touches(notebook(), lambda d: cells(d)[2]["metadata"].__setitem__("deep", Map()))


def test_what_the_room_took_is_indexed() -> None:
    doc = notebook()
    structure = CellStructure.of_update(doc.get_update())
    update = edit(doc, lambda d: cells(d).append(Map({"id": "new", "source": Text("")})))
    reading = structure.read(decode_update(update))
    assert reading.touches
    structure.take(reading)
    # Typing into its source does not touch it; overwriting its entry does.
    update = edit(doc, lambda d: cells(d)[3]["source"].insert(0, "a"))
    assert not structure.read(decode_update(update)).touches
    update = edit(doc, lambda d: cells(d)[3].__setitem__("source", "plain"))
    assert structure.read(decode_update(update)).touches


def first_cell_id(doc: Doc[Any]) -> ID:
    for struct in decode_update(doc.get_update()).structs:
        if struct.parent_root == "cells":
            return (struct.client, struct.clock)
    raise AssertionError("no cell")


def string_after(origin: ID, text: str, client: int = 4242) -> bytes:
    """An update of one ContentString item whose origin is `origin` (no parent info: the
    parent is the origin's), as a hand-written client may send."""
    encoder = Encoder()
    encoder.write_var_uint(1)  # one client section
    encoder.write_var_uint(1)  # one struct
    encoder.write_var_uint(client)
    encoder.write_var_uint(0)  # clock
    encoder.write_uint8(0x80 | 4)  # has an origin; ContentString
    encoder.write_var_uint(origin[0])
    encoder.write_var_uint(origin[1])
    encoder.write_var_string(text)
    encoder.write_var_uint(0)  # empty delete set
    return encoder.to_bytes()


def test_characters_written_next_to_a_cell_touch_the_structure() -> None:
    # Characters, as typing writes, but next to a cell: they land among the cells.
    doc = notebook()
    structure = CellStructure.of_update(doc.get_update())
    update = string_after(first_cell_id(doc), "evil")
    reading = structure.read(decode_update(update))
    assert reading.touches
    assert {span[3] for span in reading.spans} == {Part.CELL}
    doc.apply_update(update)
    assert cell_faults(cells(doc))  # what the copy would then find
