"""OutputStream: a run's outputs, written into its cell as they arrive, within a budget.

`write_outputs` is pure document editing (kernel messages in, cell outputs out); the
stream paces those edits so a flood of prints becomes a few large edits, not thousands.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from pycrdt import Doc, Map

from pairbook.kernel.ports import RunnerRoom
from pairbook.notebook.outputs import (
    append_output,
    clear_outputs,
    find_ycell,
    output_from_message,
    output_size,
    replace_output,
    truncation_note,
)
from pairbook.types import SERVER_USER

FLUSH_SECONDS = 0.02
TRAFFIC_FACTOR = 10
"""A run may write at most this many times its output limit in all, cleared output and
display updates included (a clear_output loop must not stream without end to every peer)."""

Message = tuple[str, dict[str, Any]]  # (IOPub message type, content)
Displays = dict[str, list[tuple[str, int]]]  # display id -> (cell id, output index)


class OutputBudget:
    """How many output bytes one run may still keep in its cell, and still send at all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.written = 0  # never reset by a clear
        self.spent = False
        self.noted = False
        self.clear_pending = False

    def take(self, size: int) -> bool:
        if self.written + size > self.limit * TRAFFIC_FACTOR:
            self.spent = True  # for the rest of the run: the cell stays as it is, note and all
            return False
        if self.used + size > self.limit:
            return False
        self.used += size
        self.written += size
        return True

    def reset(self) -> None:
        self.used = 0
        self.noted = False
        self.clear_pending = False


def write_outputs(
    doc: Doc[Any],
    cell_id: str,
    messages: list[Message],
    budget: OutputBudget,
    displays: Displays,
) -> None:
    """Write a run's kernel messages into its cell (and into the cells showing a display
    it updates); `displays` learns where each display id is shown."""
    ycell = find_ycell(doc, cell_id)
    if ycell is None:
        return
    for kind, content in messages:
        if kind == "clear_output":
            _clear(ycell, content, budget)
            continue
        output = output_from_message(kind, content)
        if output is None:
            continue
        display_id = (content.get("transient") or {}).get("display_id")
        if kind == "update_display_data":
            _update_display(doc, ycell, output, displays.get(str(display_id), []), budget)
            continue
        if budget.clear_pending:
            clear_outputs(ycell)
            budget.reset()
        if not budget.take(output_size(output)):
            _note_truncation(ycell, budget)
            continue
        index = append_output(ycell, output)
        if display_id:
            displays.setdefault(str(display_id), []).append((cell_id, index))


def _clear(ycell: Map[Any], content: dict[str, Any], budget: OutputBudget) -> None:
    if budget.spent:
        return
    if content.get("wait"):
        budget.clear_pending = True
    else:
        clear_outputs(ycell)
        budget.reset()


def _update_display(
    doc: Doc[Any],
    ycell: Map[Any],
    output: dict[str, Any],
    targets: list[tuple[str, int]],
    budget: OutputBudget,
) -> None:
    # Each update is a new edit every peer receives: it spends the run's budget like new
    # output does, once per display it rewrites.
    if targets and not budget.take(output_size(output) * len(targets)):
        _note_truncation(ycell, budget)
        return
    for cell_id, index in targets:
        target = find_ycell(doc, cell_id)
        if target is not None:
            replace_output(target, index, output)


def _note_truncation(ycell: Map[Any], budget: OutputBudget) -> None:
    if not budget.noted:
        budget.noted = True
        append_output(ycell, truncation_note(budget.limit))


class OutputStream:
    """One run's outputs on their way into the document: `collect` is the kernel's output
    callback; `async with stream.writing():` writes them as they come and, on leaving,
    writes what is left."""

    def __init__(
        self,
        room: RunnerRoom,
        cell_id: str,
        budget: OutputBudget,
        displays: Displays,
        *,
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self._room, self._cell_id, self._displays = room, cell_id, displays
        self.budget = budget
        self._flush_seconds = flush_seconds
        self._pending: list[Message] = []
        self._flush_now = asyncio.Event()
        self._finished = asyncio.Event()

    def collect(self, kind: str, content: dict[str, Any]) -> None:
        self._pending.append((kind, content))
        self._flush_now.set()

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        writer = asyncio.create_task(self._write_loop())
        try:
            yield
        finally:
            self._finished.set()
            self._flush_now.set()
            await writer  # it writes what is left and stops

    async def _write_loop(self) -> None:
        """The first output at once, then at most one edit per flush_seconds."""
        while True:
            await self._flush_now.wait()
            self._flush_now.clear()
            await self._flush()
            if self._finished.is_set():
                await self._flush()
                return
            with contextlib.suppress(TimeoutError):  # pace the edits, but not past the end
                await asyncio.wait_for(self._finished.wait(), self._flush_seconds)

    async def _flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        await self._room.apply_server_edit(
            lambda doc: write_outputs(doc, self._cell_id, pending, self.budget, self._displays),
            SERVER_USER,
        )
