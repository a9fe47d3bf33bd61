"""What a notebook's JSON may hold beyond what nbformat checks: values the shared document
can carry. Valid JSON that nbformat validates can still hold a lone UTF-16 surrogate escape
(`"\\ud800"`: not text, no UTF-8 encoding, so pycrdt cannot store it and no editor can save
it), an integer beyond 64 bits (pycrdt panics on it) or nesting deep enough to exhaust
Python's recursion (json itself at ~1,000 levels, the document's build at ~400)."""

from __future__ import annotations

import re
from typing import Any

from pairbook.errors import NotebookError

MAX_NESTING = 100
"""Levels of JSON objects and arrays a notebook may nest, its own top level included. Real
notebooks keep well under it (a plotly or vega-lite output ~15, GeoJSON ~12)."""

_CONTAINERS = frozenset({dict, list})
_NUMBERS = frozenset({int, float, bool})
_INT_BOUND = 2**63
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD]")


def _suspect(raw: bytes) -> bool:
    """Whether `raw` has a surrogate escape (emoji written as escapes are pairs, and pass):
    only then are the strings looked at one by one. One regex scan in C: `in` took twice as
    long per search on a notebook holding base64 images (its skip table never skips there)."""
    return _SURROGATE_ESCAPE.search(raw) is not None


def check_json_shape(data: Any, raw: bytes, name: str) -> None:
    """Raise NotebookError, naming where, for JSON the shared document cannot hold."""
    thorough = _suspect(raw)
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_NESTING:
            raise NotebookError(
                f"{name}: {_where(path)}nests objects and arrays more than {MAX_NESTING} "
                "levels deep, more than pairbook opens; flatten that part or remove it"
            )
        children = value.values() if isinstance(value, dict) else value
        kinds = set(map(type, children))
        if not thorough and kinds.isdisjoint(_CONTAINERS):
            # A list of strings, a map of numbers: looked at in C, not one by one.
            if int in kinds and not _ints_fit(children, kinds):
                _check_ints(value, path, name)
            continue
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            if isinstance(child, dict | list):
                stack.append((child, _join(path, key, depth), depth + 1))
            elif thorough:
                _check_scalar(key, child, path, name)
            elif type(child) is int:
                _check_int(key, child, path, name)


def _ints_fit(children: Any, kinds: set[type]) -> bool:
    """Whether every int among `children` (no containers) fits in 64 bits."""
    if kinds <= _NUMBERS:  # compared in C: a float out of range only sends it the long way
        low, high = min(children), max(children)
        return bool(low >= -_INT_BOUND and high < _INT_BOUND)
    return all(-_INT_BOUND <= child < _INT_BOUND for child in children if type(child) is int)


def _check_ints(value: Any, path: str, name: str) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        if type(child) is int:
            _check_int(key, child, path, name)


def _check_scalar(key: Any, child: Any, path: str, name: str) -> None:
    """A key or a string holding a lone surrogate, an integer beyond 64 bits: refused."""
    for text, what in ((key, "its key "), (child, "")):
        if isinstance(text, str) and not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                code = f"\\u{ord(text[exc.start]):04x}"
                raise NotebookError(
                    f"{name}: {_where(_join(path, key, 2))}{what}holds a lone surrogate "
                    f"escape {code} at character {exc.start}, which is not text and cannot "
                    "be saved as UTF-8; remove that escape by hand or restore the file"
                ) from None
    if type(child) is int:
        _check_int(key, child, path, name)


def _check_int(key: Any, child: int, path: str, name: str) -> None:
    """An integer beyond 64 bits: refused (pycrdt panics on it)."""
    if not -_INT_BOUND <= child < _INT_BOUND:
        raise NotebookError(
            f"{name}: {_where(_join(path, key, 2))}an integer of {child.bit_length()} bits does "
            "not fit in 64; write it as a string or a float"
        )


def _join(path: str, key: Any, depth: int) -> str:
    if depth > 8:  # the error names where the deep part starts, not every level of it
        return path
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = str(key).encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate too
    return f"{path}.{key}" if path else key


def _where(path: str) -> str:
    return f"{path}: " if path else ""
