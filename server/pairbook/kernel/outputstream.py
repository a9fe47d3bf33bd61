"""OutputStream: a run's outputs, written into its cell as they arrive, within a budget.

`write_outputs` is pure document editing (kernel messages in, cell outputs out); the
stream paces those edits so a flood of prints becomes a few large edits, not thousands.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.flag import Flag
from pairbook.kernel.ports import RunnerRoom
from pairbook.notebook.outputs import (
    append_output,
    clear_outputs,
    find_ycell,
    output_from_message,
    output_size,
    replace_output,
)
from pairbook.notebook.ynotebook import create_youtput
from pairbook.types import SERVER_USER

FLUSH_SECONDS = 0.02
TRAFFIC_FACTOR = 10
"""A run may write at most this many times its output limit in all, cleared output and
display updates included (a clear_output loop must not stream without end to every peer)."""

NOTE_STREAM = "stderr"  # the truncation note is shown as the run's stderr

Message = tuple[str, dict[str, Any]]  # (IOPub message type, content)
Displays = dict[str, list[tuple[str, int]]]  # display id -> (cell id, output index)


class Dropped:
    """What a run's cell does not show: stream lines, other outputs, their bytes."""

    def __init__(self) -> None:
        self.newlines = 0
        self.unfinished: set[str] = set()  # streams whose dropped text ends inside a line
        self.outputs = 0
        self.bytes = 0
        self.shown = 0  # the bytes the note last counted

    @property
    def lines(self) -> int:
        return self.newlines + len(self.unfinished)

    def add(self, output: dict[str, Any]) -> None:
        if output["output_type"] == "stream":
            # A line may come in several chunks: count the lines of the text they make.
            text, name = str(output["text"]), str(output["name"])
            self.newlines += text.count("\n")
            if text:
                (self.unfinished.discard if text.endswith("\n") else self.unfinished.add)(name)
            self.bytes += len(text.encode())
        else:
            self.outputs += 1
            self.bytes += output_size(output)

    def note_text(self, limit: int) -> str:
        """ "output truncated: 4,990 lines (48,890 bytes) not shown ..." """
        lines = self.lines
        what = [f"{lines:,} line{'s' * (lines != 1)}"] if lines else []
        if self.outputs:
            what.append(f"{self.outputs:,} output{'s' * (self.outputs != 1)}")
        return (f"\n[pairbook: output truncated: {' and '.join(what) or 'output'} "
                f"({self.bytes:,} bytes) not shown; this run passed its {limit:,}-byte "
                "output limit]\n")  # fmt: skip


class OutputBudget:
    """How many output bytes one run may still keep in its cell, and still send at all; once
    an output did not fit, what was dropped since (the note at the end of the cell says)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.written = 0  # never reset by a clear
        self.spent = False
        self.clear_pending = False
        self.note: int | None = None  # the note's index in the cell, once output was dropped
        self.dropped = Dropped()

    @property
    def noted(self) -> bool:
        return self.note is not None

    def take(self, size: int) -> bool:
        if self.written + size > self.limit * TRAFFIC_FACTOR:
            self.spent = True  # for the rest of the run: the cell stays as it is, note and all
            return False
        if self.used + size > self.limit:
            return False
        self.used += size
        self.written += size
        return True

    def room_left(self) -> int:
        """Bytes this run may still keep (0 once the traffic allowance is spent)."""
        if self.spent:
            return 0
        return max(0, min(self.limit - self.used, self.limit * TRAFFIC_FACTOR - self.written))

    def reset(self) -> None:
        self.used = 0
        self.note = None
        self.dropped = Dropped()
        self.clear_pending = False


def write_outputs(
    doc: Doc[Any],
    cell_id: str,
    messages: list[Message],
    budget: OutputBudget,
    displays: Displays,
) -> None:
    """Write a run's kernel messages into its cell (and into the cells showing a display
    it updates); `displays` learns where each display id is shown. Once an output does not
    fit, the rest of the run's output is dropped and counted in a note that stays the
    cell's last output (until a clear_output)."""
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
        if budget.noted:
            budget.dropped.add(output)
            continue
        if not budget.take(output_size(output)):
            _keep_what_fits(ycell, output, budget)
            _note_truncation(ycell, budget)
            continue
        index = append_output(ycell, output)
        if display_id:
            displays.setdefault(str(display_id), []).append((cell_id, index))
    _update_note(ycell, budget)


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
        budget.dropped.add(output)
        _note_truncation(ycell, budget)
        return
    for cell_id, index in targets:
        target = find_ycell(doc, cell_id)
        if target is not None:
            replace_output(target, index, output)


def _keep_what_fits(ycell: Map[Any], output: dict[str, Any], budget: OutputBudget) -> None:
    """Of stream text that does not fit, keep the whole lines that do; count the rest."""
    text = str(output["text"]) if output["output_type"] == "stream" else ""
    room = budget.room_left()
    cut = text[:room]
    while cut:  # JSON escapes make the output larger than its text: shrink until it fits
        cut = cut[: cut.rfind("\n") + 1]
        excess = output_size({**output, "text": cut}) - room
        if excess <= 0:
            break
        cut = cut[:-excess]
    if cut and budget.take(output_size({**output, "text": cut})):
        append_output(ycell, {**output, "text": cut})
        output = {**output, "text": text[len(cut) :]}
    budget.dropped.add(output)


def _note_truncation(ycell: Map[Any], budget: OutputBudget) -> None:
    if budget.note is None:
        youtputs: Array[Any] = ycell["outputs"]
        # Never merged into the stream output before it: the note is an output of its own.
        youtputs.append(create_youtput(_note(budget)))
        budget.note = len(youtputs) - 1
        budget.dropped.shown = budget.dropped.bytes


def _update_note(ycell: Map[Any], budget: OutputBudget) -> None:
    """The note counts what was dropped since it was written (one edit per flush)."""
    if budget.note is None or budget.dropped.shown == budget.dropped.bytes:
        return
    youtputs: Array[Any] = ycell["outputs"]
    if budget.note < len(youtputs):
        ytext = youtputs[budget.note].get("text")
        if isinstance(ytext, Text):
            ytext.clear()
            ytext += _note(budget)["text"]
    budget.dropped.shown = budget.dropped.bytes


def _note(budget: OutputBudget) -> dict[str, Any]:
    return {"output_type": "stream", "name": NOTE_STREAM,
            "text": budget.dropped.note_text(budget.limit)}  # fmt: skip


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
        self._flush_now = Flag()
        self._finished = Flag()

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
