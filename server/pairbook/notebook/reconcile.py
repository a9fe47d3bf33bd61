"""Bringing an open document to a notebook's content with the smallest edit.

Used when the .ipynb changed on disk while its room is open: the change is written into the
room's Doc as an ordinary edit, so it reaches every peer like any other.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.notebook.ipynb import validate_notebook
from pairbook.notebook.normal_form import (
    TRANSIENT_CELL_METADATA,
    TRANSIENT_NOTEBOOK_METADATA,
    as_yjs_numbers,
    normalize_notebook,
)
from pairbook.notebook.text_edit import set_ytext
from pairbook.notebook.ynotebook import (
    CELL_KEYS,
    create_ycell,
    create_ymap,
    create_youtput,
    effective_cell_ids,
    json_cell,
)
from pairbook.schema import CELLS, META


def apply_notebook_to_ydoc(nb: dict[str, Any], doc: Doc[Any]) -> None:
    """Make `doc` hold `nb` (a valid nbformat 4.5 notebook), in one transaction.

    Cells are matched by id: a kept cell has its source diffed and only its changed fields
    written; cells are inserted and deleted around the kept ones (a moved cell is deleted and
    re-inserted, as stock yjs has no move). Transient keys such as `trusted` are left alone.
    Wrap the call in `doc.transaction(origin=...)` to attribute the change.
    """
    validate_notebook(nb)
    target = normalize_notebook(nb)
    ymeta = doc.get(META, type=Map)
    ycells = doc.get(CELLS, type=Array)
    with doc.transaction():
        for key in ("nbformat", "nbformat_minor"):
            if ymeta.get(key) != target[key]:
                ymeta[key] = target[key]
        ymetadata = ymeta.get("metadata")
        if isinstance(ymetadata, Map):
            _apply_map(ymetadata, target["metadata"], keep=TRANSIENT_NOTEBOOK_METADATA)
        else:
            ymeta["metadata"] = create_ymap(target["metadata"])
        _apply_cells(ycells, target["cells"])


def _apply_cells(ycells: Array[Any], cells: list[dict[str, Any]]) -> None:
    items = ycells.to_py() or []
    old_ids = effective_cell_ids(items)
    matcher = SequenceMatcher(None, old_ids, [cell["id"] for cell in cells], autojunk=False)
    # From the end, so that the indices of the blocks still to do do not move.
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            for offset in range(i2 - i1):
                _apply_cell(ycells, i1 + offset, items[i1 + offset], cells[j1 + offset])
            continue
        if i2 > i1:
            del ycells[i1:i2]
        for offset, cell in enumerate(cells[j1:j2]):
            ycells.insert(i1 + offset, create_ycell(cell))


def _apply_cell(ycells: Array[Any], index: int, item: dict[str, Any], cell: dict[str, Any]) -> None:
    ycell = ycells[index]
    if not isinstance(ycell, Map) or item.get("cell_type") != cell["cell_type"]:
        del ycells[index]
        ycells.insert(index, create_ycell(cell))
        return
    old = json_cell(item)
    if item.get("id") != cell["id"]:
        ycell["id"] = cell["id"]
    for key in sorted(CELL_KEYS[cell["cell_type"]] - {"id", "cell_type"}):
        if key not in cell:
            if key in item:
                del ycell[key]
            continue
        value = cell[key]
        if key in item and old.get(key) == value:
            continue
        yvalue = ycell.get(key)
        if key == "source":
            if isinstance(yvalue, Text):
                set_ytext(yvalue, value)
            else:
                ycell[key] = Text(value)
        elif key == "metadata":
            if isinstance(yvalue, Map):
                _apply_map(yvalue, value, keep=TRANSIENT_CELL_METADATA)
            else:
                ycell[key] = create_ymap(value)
        elif key == "outputs":
            if isinstance(yvalue, Array):
                _apply_outputs(yvalue, as_yjs_numbers(item.get("outputs") or []), value)
            else:
                ycell[key] = Array([create_youtput(output) for output in value])
        else:
            ycell[key] = value


def _apply_outputs(youtputs: Array[Any], old: list[Any], new: list[dict[str, Any]]) -> None:
    """Keep the outputs that did not change, extend a growing stream, replace the rest."""
    kept = 0
    while kept < min(len(old), len(new)):
        before, after = old[kept], new[kept]
        if before == after:
            kept += 1
            continue
        youtput = youtputs[kept]
        if _same_stream(before, after) and isinstance(youtput, Map):
            ytext = youtput.get("text")
            if isinstance(ytext, Text):
                set_ytext(ytext, after["text"])
                kept += 1
                continue
        break
    if kept < len(old):
        del youtputs[kept:]
    if kept < len(new):
        youtputs.extend([create_youtput(output) for output in new[kept:]])


def _same_stream(before: Any, after: dict[str, Any]) -> bool:
    if not isinstance(before, dict) or after.get("output_type") != "stream":
        return False
    if not isinstance(after.get("text"), str):
        return False
    return {k: v for k, v in before.items() if k != "text"} == {
        k: v for k, v in after.items() if k != "text"
    }


def _apply_map(ymap: Map[Any], value: dict[str, Any], *, keep: frozenset[str]) -> None:
    """Set the keys whose value changed and delete the keys that went away."""
    current = as_yjs_numbers(ymap.to_py() or {})
    for key in sorted(current):
        if key not in value and key not in keep:
            del ymap[key]
    for key in sorted(value):
        if key not in current or current[key] != value[key]:
            ymap[key] = value[key]
