"""A real pycrdt panic, for the tests of what answers one: pyo3's PanicException derives from
BaseException, so `except Exception` misses it (pairbook.errors.is_failure does not)."""

from __future__ import annotations

from typing import Any, NoReturn

from pycrdt import Doc, Map


def pycrdt_panic() -> NoReturn:
    """Raise pyo3_runtime.PanicException, from pycrdt itself: an int beyond 64 bits into a
    map (pycrdt unwraps the failed conversion)."""
    doc: Doc[Any] = Doc()
    doc["m"] = ymap = Map[int]()
    ymap["n"] = 10**30
    raise AssertionError("pycrdt took an int beyond 64 bits: find another panic")
