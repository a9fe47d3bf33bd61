"""The normal form of a notebook's JSON: what a YNotebook stores and what history ids hash.

Multiline strings are joined (as `nbformat.reads` leaves them), transient keys stripped (as
`nbformat.writes` does), and numbers made what a Yjs document holds (integral floats cast back
to ints, since Yjs stores every number as a float). nbformat's own `rejoin_lines` and
`strip_transient` take a NotebookNode: these do the same on plain dicts, without copying the
notebook into one first (on the way to a large notebook's first join, every copy of its
thousands of objects counts).
"""

from __future__ import annotations

import json
from typing import Any

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


I64 = 2**63
"""Yjs (pycrdt) holds an int as a 64-bit integer: a larger one cannot go into a document."""


def as_yjs_numbers(value: Any) -> Any:
    """A copy whose numbers are as a Yjs document holds them (bools are left alone).

    Yjs stores a JavaScript number, so an integral float is an int again; one beyond 64 bits
    stays a float. An int beyond 64 bits (a JSON literal, a kernel's `application/json`)
    becomes the float JavaScript would read it as; one beyond a float's range too, the
    string of its digits: pycrdt cannot hold it, and JSON has no infinity."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and -I64 <= value < I64 else value
    if type(value) is int and not -I64 <= value < I64:
        try:
            return float(value)
        except OverflowError:
            return str(value)
    if isinstance(value, dict):
        return {key: as_yjs_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_yjs_numbers(item) for item in value]
    return value


def normalize_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """The normal form of a valid nbformat 4 notebook (a copy): joined lines, no transient
    keys, ints."""
    normal: dict[str, Any] = as_yjs_numbers(nb)  # (a copy made of plain dicts and lists)
    rejoin_lines(normal)
    strip_transient(normal)
    return normal


def rejoin_lines(nb: dict[str, Any]) -> None:
    """nbformat's `rejoin_lines` (v4) on a valid notebook of plain dicts, in place: without
    making it a NotebookNode first, a copy of the whole notebook."""
    for cell in nb["cells"]:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        for attachment in cell.get("attachments", {}).values():
            _rejoin_mimebundle(attachment)
        if cell.get("cell_type") == "code":
            for output in cell.get("outputs", []):
                output_type = output.get("output_type", "")
                if output_type in ("execute_result", "display_data"):
                    _rejoin_mimebundle(output.get("data", {}))
                elif output_type and isinstance(output.get("text", ""), list):
                    output["text"] = "".join(output["text"])


def _rejoin_mimebundle(data: dict[str, Any]) -> None:
    for key, value in data.items():
        if (
            isinstance(value, list)
            and not _is_json_mime(key)
            and all(isinstance(line, str) for line in value)
        ):
            data[key] = "".join(value)


def strip_transient(nb: dict[str, Any]) -> None:
    """nbformat's `strip_transient` (v4) on a valid notebook of plain dicts, in place."""
    for key in TRANSIENT_NOTEBOOK_METADATA:
        nb["metadata"].pop(key, None)
    for cell in nb["cells"]:
        for key in TRANSIENT_CELL_METADATA:
            cell["metadata"].pop(key, None)


def _is_json_mime(mime: str) -> bool:
    """nbformat's test for a JSON MIME type, whose lists are left as they are."""
    return mime == "application/json" or (
        mime.startswith("application/") and mime.endswith("+json")
    )


def canonical_json(nb: dict[str, Any]) -> bytes:
    """Compact JSON with sorted keys: equal notebooks give equal bytes."""
    text = json.dumps(nb, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")
