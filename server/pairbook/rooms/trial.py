"""Trying a peer's update on a copy of the room's document, before the document takes it."""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Doc, Map

from pairbook.notebook.applied import Waiting, apply_update
from pairbook.notebook.cellshape import meta_fault, nesting_fault
from pairbook.rooms.cellwatch import CellsWatch
from pairbook.schema import CELLS, META


def trial_fault(doc: Doc[Any], update: bytes, waiting: Waiting | None = None) -> str | None:
    """What `update` would leave in `doc` that no notebook client can read (a cell of the
    wrong shape, `meta.metadata` not a map, shared types nested too deep), tried on a copy;
    None when nothing. Costs a copy of the document: only for an update that touches the
    notebook's structure (`rooms.structure`), never for a keystroke. `waiting`: the structs
    the document holds pending (`Room.waiting`), which the update may integrate: the copy
    holds them too (`Doc.get_update` leaves them out)."""
    copy: Doc[Any] = Doc()
    copy.apply_update(doc.get_update() if waiting is None else waiting.encode(doc))
    watch = CellsWatch(copy, "trial", check_shapes=True)
    apply_update(copy, update)
    if watch.faults:
        return watch.faults[0]
    ycells = copy.get(CELLS, type=Array)
    ymeta = copy.get(META, type=Map)
    with copy.transaction():
        return meta_fault(ymeta) or nesting_fault(((CELLS, ycells), (META, ymeta)))
