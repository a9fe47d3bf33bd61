"""Executor: one queued run on the kernel, from its cell marked running to its cell idle."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from pycrdt import Map

from pairbook.errors import KernelError
from pairbook.kernel.kernelmap import KernelMap
from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.outputstream import FLUSH_SECONDS, Displays, OutputBudget, OutputStream
from pairbook.kernel.ports import Kernel, RunnerRoom
from pairbook.kernel.probing import Prober
from pairbook.kernel.prompts import Prompts
from pairbook.kernel.queue import Execution, ExecutionStatus
from pairbook.notebook.outputs import clear_outputs, code_cell_source, find_ycell
from pairbook.state.model import source_hash
from pairbook.state.view import Write
from pairbook.types import SERVER_USER

OUTCOME_STATUS = {
    "ok": ExecutionStatus.OK,
    "dead": ExecutionStatus.DEAD,
    "aborted": ExecutionStatus.CANCELLED,
}


def outcome_status(outcome: ExecutionOutcome) -> ExecutionStatus:
    """How a run ended, from the kernel's reply (an interrupted run raised KeyboardInterrupt)."""
    if outcome.status in OUTCOME_STATUS:
        return OUTCOME_STATUS[outcome.status]
    interrupted = outcome.ename == "KeyboardInterrupt"
    return ExecutionStatus.INTERRUPTED if interrupted else ExecutionStatus.ERROR


@dataclass(kw_only=True, slots=True)
class Executor:
    """Runs one execution: marks its cell running, streams its outputs into the cell,
    records how it ended and learns what it changed in the kernel's namespace."""

    room: RunnerRoom
    kernel_map: KernelMap
    prober: Prober
    prompts: Prompts
    output_limit: int
    clock: Callable[[], float] = time.time
    flush_seconds: float = FLUSH_SECONDS
    displays: Displays = field(default_factory=dict)  # where each display id is shown

    async def execute(self, kernel: Kernel, execution: Execution) -> Write | None:
        """Run it (the caller holds the prober's lock); returns the kernel-state view's
        edit for the caller's final publish of the run's record.

        The run's start (its record running, the kernel busy, its cell cleared and marked
        running) is one edit of pairbook's maps and one of the cell, made once the request
        is on its way to the kernel: the kernel works while they are logged and relayed.
        Its end (the cell idle with its count) is written before the namespace probe's
        answer is looked at."""
        ycell = find_ycell(self.room.doc, execution.cell_id)
        source = code_cell_source(ycell) if ycell is not None else None
        if source is None:
            execution.status = ExecutionStatus.CANCELLED
            execution.error = "the cell was deleted or is no longer a code cell"
            execution.finished_at = self.clock()
            return None
        self.kernel_map.current = execution
        epoch = self.prober.epoch
        execution.status = ExecutionStatus.RUNNING
        execution.started_at = self.clock()
        execution.source_hash = source_hash(source)
        sent: Callable[[], None] = _Once(lambda: self._start(kernel, execution))
        if not kernel.started:
            sent()  # starting a kernel takes seconds: show the run waiting for it meanwhile
            # ... and once the request is sent, the kernel busy: the start edit said
            # "starting", and the runner leaves a run's busy and idle to its own edits.
            sent = partial(self._sent, kernel)
        outcome = await self._run(kernel, execution, source, sent)
        self.room.start_server_edit(lambda _doc: self._finish_cell(execution), SERVER_USER)
        return await self.prober.after_run(kernel, execution, source, outcome, epoch)

    def _sent(self, kernel: Kernel) -> None:
        self.kernel_map.stage(kernel=kernel)

    def _start(self, kernel: Kernel, execution: Execution) -> None:
        self.kernel_map.stage(execution, kernel=kernel)
        self.kernel_map.flush()
        self.room.start_server_edit(lambda _doc: self._start_cell(execution), SERVER_USER)

    async def _run(
        self, kernel: Kernel, execution: Execution, source: str, start: Callable[[], None]
    ) -> ExecutionOutcome | None:
        budget = OutputBudget(self.output_limit)
        stream = OutputStream(
            self.room,
            execution.cell_id,
            budget,
            self.displays,
            flush_seconds=self.flush_seconds,
        )
        async with stream.writing():
            outcome, failure = None, None
            try:
                outcome = await kernel.execute(
                    source,
                    stream.collect,
                    lambda prompt, password: self.prompts.ask(
                        execution, prompt, password, stream.collect
                    ),
                    self.prober.run_expressions(kernel),
                    on_sent=start,
                )
            except KernelError as exc:
                failure = str(exc)
            # Over for the kernel while its last outputs are written: an interrupt from now on
            # is between runs (it stops the run's batch; it used to wait for the next run).
            self._ended(execution, outcome, failure)
        return outcome

    def _ended(
        self, execution: Execution, outcome: ExecutionOutcome | None, failure: str | None
    ) -> None:
        execution.finished_at = self.clock()
        if outcome is None:
            execution.status, execution.error = ExecutionStatus.ERROR, failure
        else:
            execution.execution_count = outcome.execution_count
            execution.status = outcome_status(outcome)
            execution.error = outcome.ename  # the exception's name when the code raised
        self.kernel_map.current = None

    def _start_cell(self, execution: Execution) -> None:
        ycell = find_ycell(self.room.doc, execution.cell_id)
        if ycell is None:
            return
        clear_outputs(ycell)
        ycell["execution_state"] = "running"

    def _finish_cell(self, execution: Execution) -> None:
        ycell = find_ycell(self.room.doc, execution.cell_id)
        if ycell is None:
            return
        ycell["execution_state"] = "idle"
        if execution.execution_count is not None:
            ycell["execution_count"] = execution.execution_count
        ymeta = ycell.get("metadata")
        if isinstance(ymeta, Map):
            ymeta["pairbook"] = {"last_run": execution.to_json()}


class _Once:
    """Calls `action` the first time it is called, never again."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action: Callable[[], None] | None = action

    def __call__(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()
