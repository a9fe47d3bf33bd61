"""An interrupt stops the run the kernel executes; once the kernel has ended a run, one asked
while the run's last outputs are still being written is between runs: it stops the run's
batch, and never the next run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pycrdt import Doc, Map

from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.runner import Runner
from pairbook.service import Member
from pairbook.types import UserId
from support.kernelkit import FINAL, DocRoom, ScriptedKernels, Turn, notebook_doc, person, running

ANA = person("ana")
BO = person("bo")
PRINTS = "print('a')"


class BusyRoom(DocRoom):
    """A room whose output edits wait while `moving` is clear (its log is busy)."""

    def __init__(self, doc: Doc[Any], members: list[Member]) -> None:
        super().__init__(doc, members)
        self.moving = asyncio.Event()
        self.waiting = asyncio.Event()  # an output edit waits

    async def apply_server_edit(
        self, edit: Callable[[Doc[Any]], None], author: UserId, *, protected: bool = False
    ) -> int:
        if not self.moving.is_set():
            self.waiting.set()
            await self.moving.wait()
        return await super().apply_server_edit(edit, author, protected=protected)

    def status(self, execution_id: str) -> str:
        return str(self.doc.get("executions", type=Map)[execution_id]["status"])


async def prints(turn: Turn) -> ExecutionOutcome:
    turn.print("a\n")
    return turn.ok()


async def test_an_interrupt_as_a_finished_runs_outputs_are_written_stops_its_batch_only() -> None:
    room = BusyRoom(notebook_doc([PRINTS, "b = 2"]), [ANA, BO])
    kernels = ScriptedKernels({PRINTS: prints})
    runner = Runner(room, kernels, "python3", kernel_state=False, flush_seconds=0)
    try:
        async with running(runner.run()):
            first, second = (await runner.run_cells(ANA, ["code-0", "code-1"]))["queued"]
            # The kernel ended the first run; its output waits to be written.
            await asyncio.wait_for(room.waiting.wait(), 10)
            reply = await runner.interrupt(BO)
            room.moving.set()
            await room.until(lambda: all(room.status(e) in FINAL for e in (first, second)))
        assert reply == {"interrupted": None, "cancelled": [second]}
        assert [room.status(first), room.status(second)] == ["ok", "cancelled"]
        assert kernels.made[0].ran == [PRINTS]  # the interrupt did not wait for the next run
        assert not kernels.made[0].interrupted.is_set()
    finally:
        await runner.close()
