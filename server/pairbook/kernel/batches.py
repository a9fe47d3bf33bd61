"""Batches: a request that queued several cells (run all, above, below, a selection) stops at
its first failing run, as Jupyter's run all does; runs other requests queued still run."""

from __future__ import annotations

from typing import Any

from pycrdt import Map

from pairbook.kernel.queue import Execution, ExecutionQueue, ExecutionStatus
from pairbook.schema import KERNEL_MAP, StoppedBatchRecord
from pairbook.state.view import Write

STOPPED_KEY = "stopped_batch"  # in KERNEL_MAP: the last batch that stopped, for the page

HOW = {ExecutionStatus.ERROR: "failed", ExecutionStatus.INTERRUPTED: "was interrupted"}


def cell_number(cell_id: str, cells: list[str]) -> str:
    """ "cell 2": cells are counted from 1 in notebook order, markdown included."""
    return f"cell {cells.index(cell_id) + 1}" if cell_id in cells else "a deleted cell"


def stop_batch(
    queue: ExecutionQueue, failed: Execution, cells: list[str], at: float
) -> tuple[list[Execution], StoppedBatchRecord | None]:
    """After a run ended: when it failed (an error, or interrupted) inside a batch, cancel the
    batch's waiting runs ("an earlier cell in this batch failed: cell 2"). Returns them and
    the note for the page (None: nothing was cancelled)."""
    if failed.batch is None or failed.status not in HOW:
        return [], None
    reason = (
        f"an earlier cell in this batch {HOW[failed.status]}: {cell_number(failed.cell_id, cells)}"
    )
    return _cancel_rest(queue, failed, reason, failed.status.value, at)


def interrupt_batch(
    queue: ExecutionQueue, last: Execution, by: str, cells: list[str], at: float
) -> tuple[list[Execution], StoppedBatchRecord | None]:
    """An interrupt while the kernel is between two runs of a batch (`last` just finished)
    stops the batch all the same: its waiting runs are cancelled."""
    if last.batch is None or not last.status.final:
        return [], None
    reason = f"the batch was interrupted by {by} after {cell_number(last.cell_id, cells)}"
    return _cancel_rest(queue, last, reason, ExecutionStatus.INTERRUPTED.value, at)


def _cancel_rest(
    queue: ExecutionQueue, last: Execution, reason: str, status: str, at: float
) -> tuple[list[Execution], StoppedBatchRecord | None]:
    assert last.batch is not None
    cancelled = queue.cancel_batch(last.batch, reason)
    if not cancelled:  # it was the batch's last run
        return [], None
    for execution in cancelled:
        execution.extra["stopped_by"] = last.id
    note: StoppedBatchRecord = {
        "batch": last.batch,
        "by": last.user.copy(),
        "execution": last.id,
        "cell_id": last.cell_id,
        "status": status,
        "ename": last.error if status == last.status.value else None,
        "cancelled": [e.id for e in cancelled],
        "still_queued": len(queue),
        "at": at,
    }
    return cancelled, note


def write_stopped(note: StoppedBatchRecord | None) -> Write | None:
    """The kernel map's edit that shows the page which batch stopped (None: no edit)."""
    if note is None:
        return None

    def write(doc: Any) -> None:
        doc.get(KERNEL_MAP, type=Map)[STOPPED_KEY] = note

    return write


def forget_stopped(user_id: str) -> Write:
    """This person queued a new batch: the note about their last stopped batch is moot."""

    def write(doc: Any) -> None:
        ykernel = doc.get(KERNEL_MAP, type=Map)
        note = ykernel.get(STOPPED_KEY)
        if isinstance(note, dict) and (note.get("by") or {}).get("id") == user_id:
            ykernel[STOPPED_KEY] = None

    return write


def both(first: Write | None, second: Write | None) -> Write | None:
    """One edit doing both writes (either may be None)."""
    if first is None or second is None:
        return first or second

    def write(doc: Any) -> None:
        first(doc)
        second(doc)

    return write
