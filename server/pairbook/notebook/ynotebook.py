"""A notebook's JSON written into, and read out of, a Doc in the jupyter_ydoc YNotebook schema.

Roots: `cells`, an Array of cell Maps (`source` a Text, `metadata` a Map, `outputs` an Array
of output Maps whose stream `text` is a Text), and `meta`, a Map holding `nbformat`,
`nbformat_minor` and a `metadata` Map. pairbook's own roots (`pairbook`, `kernel`, ...) are
neither written nor read here.

Writing is our own rather than `YNotebook.set`, which draws uuid4 ids for cells without one
(and for the cell it adds to an empty notebook), adds `language_info` and `kernelspec`
placeholders, and drops empty attachments: all of which would change the base history.
Keys are written in sorted order so the same notebook always yields the same items.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.notebook.cell_ids import assign_cell_ids
from pairbook.notebook.ipynb import NBFORMAT, NBFORMAT_MINOR
from pairbook.notebook.normal_form import as_yjs_numbers
from pairbook.schema import CELLS, META

CELL_KEYS: dict[str, frozenset[str]] = {
    "code": frozenset({"id", "cell_type", "metadata", "source", "outputs", "execution_count"}),
    "markdown": frozenset({"id", "cell_type", "metadata", "source", "attachments"}),
    "raw": frozenset({"id", "cell_type", "metadata", "source", "attachments"}),
}
"""The keys nbformat 4.5 allows on each cell type; `execution_state` is not among them."""

ID_SALT = "pairbook:ydoc"
"""Seeds the ids given to cells whose id is missing or repeated in a document."""


def notebook_to_ydoc(nb: dict[str, Any], doc: Doc[Any]) -> None:
    """Write `nb` into a Doc that holds no notebook yet, in one transaction."""
    ymeta = doc.get(META, type=Map)
    ycells = doc.get(CELLS, type=Array)
    with doc.transaction():
        ymeta["metadata"] = create_ymap(nb.get("metadata", {}))
        ymeta["nbformat"] = nb.get("nbformat", NBFORMAT)
        ymeta["nbformat_minor"] = nb.get("nbformat_minor", NBFORMAT_MINOR)
        ycells.extend([create_ycell(cell) for cell in nb.get("cells", [])])


def ydoc_to_notebook(doc: Doc[Any]) -> dict[str, Any]:
    """The nbformat 4.5 notebook a Doc holds, read without changing the Doc.

    Ints are cast back from floats, `execution_state` and keys nbformat does not allow are
    dropped, and repeated cell ids (concurrent inserts can produce them) are replaced by
    deterministic ones in the copy; no cell is dropped.
    """
    ymeta = doc.get(META, type=Map)
    ycells = doc.get(CELLS, type=Array)
    with doc.transaction():
        meta = as_yjs_numbers(ymeta.to_py() or {})
        items = ycells.to_py() or []
    cells = []
    for item, cell_id in zip(items, effective_cell_ids(items), strict=True):
        if cell_id is not None:
            cells.append(json_cell(item) | {"id": cell_id})
    metadata = meta.get("metadata")
    minor = meta.get("nbformat_minor")
    return {
        "cells": cells,
        "metadata": metadata if isinstance(metadata, dict) else {},
        "nbformat": NBFORMAT,
        "nbformat_minor": max(minor if isinstance(minor, int) else 0, NBFORMAT_MINOR),
    }


def effective_cell_ids(items: list[Any]) -> list[str | None]:
    """The id `ydoc_to_notebook` gives each item of `cells` (None: not a cell, skipped)."""
    cells = [item for item in items if isinstance(item, dict)]
    ids = iter(assign_cell_ids([cell.get("id") for cell in cells], ID_SALT))
    return [next(ids) if isinstance(item, dict) else None for item in items]


def json_cell(raw: dict[str, Any]) -> dict[str, Any]:
    """One cell as nbformat JSON, from the `to_py()` of its Map (the id is left as found)."""
    cell = as_yjs_numbers(raw)
    cell_type = cell.get("cell_type")
    if cell_type not in CELL_KEYS:
        cell_type = "raw"
    result = {key: value for key, value in cell.items() if key in CELL_KEYS[cell_type]}
    result["cell_type"] = cell_type
    source = result.get("source")
    if isinstance(source, list):
        result["source"] = "".join(str(line) for line in source)
    elif not isinstance(source, str):
        result["source"] = ""
    if not isinstance(result.get("metadata"), dict):
        result["metadata"] = {}
    if "attachments" in result and not isinstance(result["attachments"], dict):
        del result["attachments"]  # jupyter_ydoc's schema allows None; nbformat does not
    if cell_type == "code":
        outputs = result.get("outputs")
        result["outputs"] = [o for o in outputs if isinstance(o, dict)] if outputs else []
        count = result.get("execution_count")
        result["execution_count"] = count if type(count) is int else None
    return result


def create_ycell(cell: dict[str, Any]) -> Map[Any]:
    """A cell Map to insert into `cells` (the code cell's `execution_state` starts idle)."""
    values: dict[str, Any] = {}
    for key in sorted(cell):
        value = cell[key]
        if key == "source":
            values[key] = Text(value if isinstance(value, str) else "".join(value))
        elif key == "metadata":
            values[key] = create_ymap(value)
        elif key == "outputs":
            values[key] = Array([create_youtput(output) for output in value])
        else:
            values[key] = value
    if cell.get("cell_type") == "code":
        values["execution_state"] = "idle"
    return Map(values)


def create_youtput(output: dict[str, Any]) -> Map[Any]:
    """An output Map; a stream's `text` is a Text so streaming appends stay cheap."""
    values: dict[str, Any] = {}
    for key in sorted(output):
        value = output[key]
        if key == "text" and output.get("output_type") == "stream":
            value = Text(value if isinstance(value, str) else "".join(value))
        values[key] = value
    return Map(values)


def create_ymap(value: dict[str, Any]) -> Map[Any]:
    """A Map of plain JSON values, keys in sorted order."""
    return Map({key: value[key] for key in sorted(value)})
