"""The shape of the shared cells: what a notebook client needs of each item of `cells`.

A Yjs update can put anything anywhere: a number or a string as an item of `cells`, a plain
string as a cell's `source`, no `outputs` under a code cell. jupyter_ydoc's clients (the
browser page's `@jupyter/ydoc`, JupyterLab) then fail on the whole notebook, not on that
cell: the page showed "This notebook has no cells yet" to everyone, for good, as the log
kept it. The room refuses such an update (`rooms.receiver`); this names what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pycrdt import Array, ArrayEvent, Map, Text

CELL_TYPES = ("code", "markdown", "raw")

_SHARED_KEYS: dict[str, type[Any]] = {"source": Text, "metadata": Map}
"""The keys every cell holds as a shared type, as jupyter_ydoc lays a cell out."""


def cell_faults(ycells: Array[Any]) -> list[str]:
    """What makes items of `cells` unreadable as jupyter_ydoc cells, one line each (empty:
    every item is a cell). Read inside a transaction by the caller, or as pycrdt does."""
    faults: list[str] = []
    for index, ycell in enumerate(ycells):
        fault = _cell_fault(ycell)
        if fault is not None:
            faults.append(f"cells[{index}] {fault}")
    return faults


def is_readable_cell(ycell: object) -> bool:
    """Whether an item of `cells` is a cell jupyter_ydoc's clients can read."""
    return _cell_fault(ycell) is None


def touched_faults(ycells: Array[Any], events: Iterable[Any]) -> list[str]:
    """`cell_faults` of only the cells a transaction's deep events on `cells` inserted or
    set keys of (inside the observer: the events are not valid after it returns)."""
    faults: list[str] = []
    for event in events:
        path = event.path
        if len(path) == 1:
            fault = _cell_fault(ycells[path[0]])
            if fault is not None:
                faults.append(f"cells[{path[0]}] {fault}")
        elif not path and isinstance(event, ArrayEvent):
            index = 0
            for part in event.delta:  # type: ignore[attr-defined]
                index += part.get("retain", 0)
                for ycell in part.get("insert", ()):
                    fault = _cell_fault(ycell)
                    if fault is not None:
                        faults.append(f"cells[{index}] {fault}")
                    index += 1
    return faults


def _cell_fault(ycell: object) -> str | None:
    if not isinstance(ycell, Map):
        return f"is {_kind(ycell)}, not a cell map"
    cell_type = ycell.get("cell_type")
    if cell_type not in CELL_TYPES:
        return f"has cell_type {cell_type!r}: expected one of {', '.join(CELL_TYPES)}"
    if not isinstance(ycell.get("id"), str):
        return "has no string id"
    expected: dict[str, type[Any]] = dict(_SHARED_KEYS)
    if cell_type == "code":
        expected["outputs"] = Array
    for key, kind in expected.items():
        value = ycell.get(key)
        if not isinstance(value, kind):
            return f"{key} is {_kind(value)}, not a shared {kind.__name__}"
    return None


def _kind(value: object) -> str:
    return "missing" if value is None else f"a {type(value).__name__}"


MAX_TYPE_NESTING = 32
"""How deep shared types (maps, arrays, texts) may nest, the `cells` array being level 1 (a
cell 2, its outputs 3, an output 4, a stream's text 5). Whatever reads the document recurses
through them (pycrdt's `to_py`, the save): a Y.Map nested thousands of levels failed every
save with RecursionError. 32 levels of types plus 64 of a JSON value (`MAX_VALUE_NESTING`)
stay within the 100 a notebook file may nest (`notebook.jsonshape`)."""


def meta_fault(ymeta: Map[Any]) -> str | None:
    """What makes `meta` unreadable to jupyter_ydoc's clients (`meta.metadata` not a map:
    the page failed on 'toJSON is not a function'), or None."""
    if "metadata" not in ymeta:
        return None
    value = ymeta.get("metadata")
    if isinstance(value, Map):
        return None
    return f"meta.metadata is {_kind(value)}, not a shared Map"


def nesting_fault(roots: Iterable[tuple[str, Any]]) -> str | None:
    """Where shared types nest deeper than MAX_TYPE_NESTING under the given root types, or
    None. Walked without recursion, and never below the limit."""
    stack: list[tuple[Any, str, int]] = [(ytype, name, 1) for name, ytype in roots]
    while stack:
        ytype, path, depth = stack.pop()
        if depth > MAX_TYPE_NESTING:
            return (
                f"shared types nest more than {MAX_TYPE_NESTING} levels deep (at {path}); "
                "keep nested data as plain JSON values"
            )
        if isinstance(ytype, Map):
            children = [(f"{path}.{key}", value) for key, value in ytype.items()]
        elif isinstance(ytype, Array):
            children = [(f"{path}[{index}]", value) for index, value in enumerate(ytype)]
        else:
            continue
        for where, value in children:
            if isinstance(value, Map | Array | Text):
                stack.append((value, where, depth + 1))
    return None
