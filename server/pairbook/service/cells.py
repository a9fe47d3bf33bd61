"""CellsChange: what one transaction changed in a notebook's cells, read once from its deep
events for every service that keeps track (who changed which cell, who edited a source).

A keystroke is one transaction touching one cell's source; the services used to each observe
the cells and look the cell up in the array (a pycrdt wrapper and a read per event, per
service). The room reads the events once (`read_cells_change`) and hands every service the
same answer (`rooms.cellwatch`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pycrdt import Array, ArrayEvent, Map

from pairbook.types import value


@value
class CellsChange:
    """The cells one transaction changed, by id (deleted cells are gone by then)."""

    touched: frozenset[str]
    """Cells changed in any way, and cells inserted."""
    sources: frozenset[str]
    """Cells whose source text changed."""
    structure: bool
    """Cells were inserted, moved or deleted."""
    kinds: bool
    """A cell's own keys changed and `cell_type` was one of them."""


CellsObserver = Callable[[CellsChange], None]
"""Called inside the transaction that made the change: bookkeeping only, no writes."""


def read_cells_change(ycells: Array[Any], events: Iterable[Any]) -> CellsChange:
    """Read a transaction's deep events on the `cells` array (inside the observer: the
    events are not valid after it returns)."""
    touched: set[str] = set()
    sources: set[str] = set()
    structure = kinds = False
    ids: dict[int, str] = {}  # each cell is looked up once, however many events it has
    for event in events:
        path = event.path
        if path:
            index = path[0]
            cell_id = ids.get(index)
            if cell_id is None:
                cell_id = ids[index] = str(ycells[index].get("id"))
            touched.add(cell_id)
            if len(path) == 1:
                kinds = kinds or "cell_type" in getattr(event, "keys", {})
            elif path[1] == "source":
                sources.add(cell_id)
        elif isinstance(event, ArrayEvent):
            structure = True
            for part in event.delta:  # type: ignore[attr-defined]
                for ycell in part.get("insert", ()):
                    if isinstance(ycell, Map):
                        touched.add(str(ycell.get("id")))
    return CellsChange(frozenset(touched), frozenset(sources), structure, kinds)
