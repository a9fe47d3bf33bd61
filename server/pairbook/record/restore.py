"""Restoring a past state into the live document as an ordinary, attributed edit."""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Doc, Text

from pairbook.notebook import apply_notebook_to_ydoc, ydoc_to_notebook
from pairbook.notebook.outputs import find_ycell
from pairbook.notebook.text_edit import set_ytext
from pairbook.notebook.ynotebook import create_ycell, json_cell
from pairbook.schema import CELLS


def restore_cell(live: Doc[Any], past: Doc[Any], cell_id: str) -> None:
    """Make the live cell `cell_id` read as it did in `past` (source, type, outputs kept
    from now), or put the past cell back at its old position when it was deleted since.

    Only what differs is written (the source by a character diff), so a partner's cursor
    in the same cell stays where it was."""
    ypast = find_ycell(past, cell_id)
    if ypast is None:
        raise LookupError(f"there was no cell {cell_id!r} at that moment")
    past_cells = past.get(CELLS, type=Array)
    past_index = next(i for i, c in enumerate(past_cells) if c.get("id") == cell_id)
    ylive = find_ycell(live, cell_id)
    if ylive is None:
        cell = json_cell(ypast.to_py() or {})
        ycells = live.get(CELLS, type=Array)
        ycells.insert(min(past_index, len(ycells)), create_ycell(cell))
        return
    with live.transaction():
        source = ylive.get("source")
        old = str(ypast.get("source", ""))
        if isinstance(source, Text):
            set_ytext(source, old)
        else:
            ylive["source"] = Text(old)
        if ylive.get("cell_type") != ypast.get("cell_type"):
            ylive["cell_type"] = ypast.get("cell_type")


def restore_notebook(live: Doc[Any], past: Doc[Any]) -> None:
    """Make the live notebook's cells and metadata read as they did in `past`, with the
    smallest edit (cells matched by id)."""
    apply_notebook_to_ydoc(ydoc_to_notebook(past), live)
