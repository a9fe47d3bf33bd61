"""A code cell's verdict from its saved and its fresh outputs, and the diagnosis of a hidden-
state dependency: a name the saved run had that no cell above defines in a fresh kernel."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pairbook.check.compare import Tolerance, difference, text_of
from pairbook.check.report import CellResult, Verdict
from pairbook.state.dataflow import cell_flow

SKIP_TAG = "skip-execution"  # nbclient's tag: the cell is not run
ERROR_TAG = "raises-exception"  # nbclient's tag: the cell is expected to raise
_UNDEFINED = re.compile(r"name '([^']+)' is not defined")
_NO_MODULE = re.compile(r"No module named '([^']+)'")


def judge(
    index: int,
    saved: dict[str, Any],
    fresh: dict[str, Any],
    cells: Sequence[dict[str, Any]],
    tolerance: Tolerance,
    seconds: float,
) -> CellResult:
    """The verdict on code cell `cells[index]`: `saved` as in the file, `fresh` after the run."""
    cell_id = str(saved.get("id", index))

    def result(verdict: Verdict, detail: str = "") -> CellResult:
        return CellResult(index, cell_id, verdict, detail, seconds)

    tags = (saved.get("metadata") or {}).get("tags") or []
    if SKIP_TAG in tags:
        return result(Verdict.SKIPPED, f"tagged {SKIP_TAG}")
    fresh_error = _error(fresh.get("outputs") or [])
    saved_error = _error(saved.get("outputs") or [])
    if (
        fresh_error is not None
        and ERROR_TAG not in tags
        and (saved_error is None or saved_error[0] != fresh_error[0])
    ):
        verdict, detail = _diagnose(index, cells, *fresh_error)
        return result(verdict, detail)
    if not saved.get("outputs") and saved.get("execution_count") is None:
        return result(Verdict.PASSED, "not run in the saved notebook; ran without error")
    changed = difference(saved.get("outputs") or [], fresh.get("outputs") or [], tolerance)
    return result(Verdict.DIFFERS, changed) if changed else result(Verdict.PASSED)


def _error(outputs: Sequence[dict[str, Any]]) -> tuple[str, str] | None:
    for output in outputs:
        if output.get("output_type") == "error":
            return str(output.get("ename", "")), text_of(output.get("evalue", ""))
    return None


def _diagnose(
    index: int, cells: Sequence[dict[str, Any]], ename: str, evalue: str
) -> tuple[Verdict, str]:
    """Why a cell that worked in the saved run raised in the fresh one."""
    if ename == "CellTimeoutError":
        return Verdict.TIMED_OUT, evalue
    undefined = _UNDEFINED.search(evalue) if ename in ("NameError", "UnboundLocalError") else None
    if undefined:
        return _undefined(index, cells, undefined.group(1))
    missing = _NO_MODULE.search(evalue) if ename == "ModuleNotFoundError" else None
    if missing:
        return Verdict.FAILED, (
            f"ModuleNotFoundError: {evalue}; the check environment does not have "
            f"{missing.group(1).split('.')[0]!r}: declare it in the notebook's requirements"
        )
    return Verdict.FAILED, f"{ename}: {evalue}"


def _undefined(index: int, cells: Sequence[dict[str, Any]], name: str) -> tuple[Verdict, str]:
    above = [i for i in range(index) if name in _binds(cells[i])]
    if above:
        return Verdict.FAILED, (
            f"NameError: {name!r} is not defined: cell {above[-1] + 1}, which defines it, "
            "did not run to completion"
        )
    below = [i for i in range(index + 1, len(cells)) if name in _binds(cells[i])]
    if below:
        return Verdict.HIDDEN_STATE, (
            f"uses {name!r}, which only cell {below[0] + 1} below defines: it worked because "
            "cells ran out of order; move that definition above"
        )
    return Verdict.HIDDEN_STATE, (
        f"uses {name!r}, which no cell of the notebook defines: it worked because of a deleted "
        "cell or code run and removed; add the definition back"
    )


def _binds(cell: dict[str, Any]) -> frozenset[str]:
    if cell.get("cell_type") != "code":
        return frozenset()
    return cell_flow(text_of(cell.get("source", ""))).binds
