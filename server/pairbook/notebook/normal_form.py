"""The normal form of a notebook's JSON: what a YNotebook stores and what history ids hash.

Multiline strings are joined (as `nbformat.reads` leaves them), transient keys stripped (as
`nbformat.writes` does), and integral floats cast back to ints, since Yjs stores every number
as a float.
"""

from __future__ import annotations

import json
from typing import Any

import nbformat
from nbformat.v4.rwbase import rejoin_lines, strip_transient

TRANSIENT_NOTEBOOK_METADATA = frozenset({"orig_nbformat", "orig_nbformat_minor", "signature"})
"""Notebook metadata nbformat drops when writing a file."""

TRANSIENT_CELL_METADATA = frozenset({"trusted"})
"""Cell metadata nbformat drops when writing a file."""


def to_plain_json(value: Any) -> Any:
    """A deep copy made of plain dicts and lists (NotebookNode is a dict subclass)."""
    if isinstance(value, dict):
        return {str(key): to_plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain_json(item) for item in value]
    return value


def cast_floats_to_ints(value: Any) -> Any:
    """A copy where every integral float is an int again (bools are left alone)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: cast_floats_to_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [cast_floats_to_ints(item) for item in value]
    return value


def normalize_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """The normal form of an nbformat 4 notebook: joined lines, no transient keys, ints."""
    node = nbformat.from_dict(nb)  # type: ignore[no-untyped-call]
    rejoin_lines(node)  # type: ignore[no-untyped-call]
    strip_transient(node)  # type: ignore[no-untyped-call]
    normal: dict[str, Any] = cast_floats_to_ints(to_plain_json(node))
    return normal


def canonical_json(nb: dict[str, Any]) -> bytes:
    """Compact JSON with sorted keys: equal notebooks give equal bytes."""
    text = json.dumps(nb, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")
