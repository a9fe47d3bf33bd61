"""Batches on a real ipykernel: run all stops at the first error or an interrupt, the rest of
the batch is cancelled and never runs, other people's queued runs still run."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pycrdt import Map

from pairbook.kernel.runner import Runner
from pairbook.notebook.outputs import find_ycell
from support.kernelkit import FINAL, DocRoom, notebook_doc, person, real_runner

ANA = person("ana")
BO = person("bo")


class RealKit:
    """A runner on a real ipykernel over a DocRoom, and what the document says."""

    def __init__(self, runner: Runner, room: DocRoom) -> None:
        self.runner = runner
        self.room = room

    def record(self, execution_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.room.doc.get("executions", type=Map)[execution_id]
        return record

    def kernel_map(self) -> dict[str, Any]:
        result: dict[str, Any] = self.room.doc.get("kernel", type=Map).to_py()
        return result

    def outputs(self, cell_id: str) -> list[dict[str, Any]]:
        ycell = find_ycell(self.room.doc, cell_id)
        assert ycell is not None
        result: list[dict[str, Any]] = ycell["outputs"].to_py()
        return result

    async def status(self, execution_id: str, *statuses: str) -> None:
        await self.room.until(lambda: self.record(execution_id)["status"] in statuses)

    async def finished(self, *execution_ids: str) -> None:
        await self.room.until(lambda: all(self.record(e)["status"] in FINAL for e in execution_ids))

    async def printed(self, cell_id: str) -> str:
        """Run a cell alone and return what it printed."""
        (run,) = (await self.runner.run_cells(ANA, [cell_id]))["queued"]
        await self.finished(run)
        assert self.record(run)["status"] == "ok", self.outputs(cell_id)
        return "".join(str(o.get("text", "")) for o in self.outputs(cell_id))


@contextlib.asynccontextmanager
async def real_kit(tmp_path: Path, sources: list[str]) -> AsyncIterator[RealKit]:
    room = DocRoom(notebook_doc(sources), [ANA, BO])
    async with real_runner(tmp_path, room) as runner:
        yield RealKit(runner, room)


async def test_run_all_stops_at_the_first_error_and_the_rest_of_the_batch_never_runs(
    tmp_path: Path,
) -> None:
    sources = [
        "marks = []\nanswer = input('go? ')\nmarks.append(0)",
        "marks.append(1)\nraise ValueError('cell two fails')",
        "marks.append(2)",
        "marks.append(3)",
        "print(marks)",
    ]
    async with real_kit(tmp_path, sources) as kit:
        batch = (await kit.runner.run_above(ANA, "code-4"))["queued"]
        # The batch waits on input() in its first cell while Bo queues his own run.
        await kit.status(batch[0], "waiting-input")
        (bos,) = (await kit.runner.run_cells(BO, ["code-2"]))["queued"]
        await kit.runner.answer_input(ANA, batch[0], "yes")
        await kit.finished(*batch, bos)
        statuses = [kit.record(e)["status"] for e in batch]
        assert statuses == ["ok", "error", "cancelled", "cancelled"]
        assert kit.record(batch[1])["error"] == "ValueError"
        for cancelled in batch[2:]:
            record = kit.record(cancelled)
            # Cell 1 is the notebook's markdown title: the failing code cell is cell 3.
            assert record["error"] == "an earlier cell in this batch failed: cell 3"
            assert record["stopped_by"] == batch[1]
            assert record["started_at"] is None
            assert record["execution_count"] is None
        assert kit.outputs("code-3") == []
        assert kit.record(bos)["status"] == "ok"  # not part of the batch: it still ran
        note = kit.kernel_map()["stopped_batch"]
        assert (note["cell_id"], note["ename"], note["still_queued"]) == ("code-1", "ValueError", 1)
        assert note["cancelled"] == batch[2:]
        # The kernel holds what ran: the batch's first two cells and Bo's run, nothing else.
        assert await kit.printed("code-4") == "[0, 1, 2]\n"


async def test_an_interrupt_stops_the_batch_and_another_persons_queued_run_still_runs(
    tmp_path: Path,
) -> None:
    sources = [
        "marks = ['a']",
        "import time\nmarks.append('b')\nprint('sleeping')\ntime.sleep(60)",
        "marks.append('c')",
        "marks.append('bo')",
        "print(marks)",
    ]
    async with real_kit(tmp_path, sources) as kit:
        batch = (await kit.runner.run_cells(ANA, ["code-0", "code-1", "code-2"]))["queued"]
        (bos,) = (await kit.runner.run_cells(BO, ["code-3"]))["queued"]
        await kit.status(batch[1], "running")
        await kit.room.until(lambda: bool(kit.kernel_map().get("queue")))
        # Interrupt once the cell is sleeping: earlier, the KeyboardInterrupt could land
        # before marks.append('b') (in `import time`) and the test would be racing.
        await kit.room.until(lambda: bool(kit.outputs("code-1")))
        assert await kit.runner.interrupt(BO) == {"interrupted": batch[1]}
        await kit.finished(*batch, bos)
        statuses = [kit.record(e)["status"] for e in (*batch, bos)]
        assert statuses == ["ok", "interrupted", "cancelled", "ok"]
        reason = "an earlier cell in this batch was interrupted: cell 3"
        assert kit.record(batch[2])["error"] == reason
        assert kit.outputs("code-1")[-1]["ename"] == "KeyboardInterrupt"
        assert kit.kernel_map()["last_event"]["kind"] == "interrupt"
        assert await kit.printed("code-4") == "['a', 'b', 'bo']\n"


async def test_input_is_echoed_with_its_answer_and_a_password_without(tmp_path: Path) -> None:
    sources = [
        "print('before')\nname = input('who? ')\nprint('hi', name)",
        "import getpass\nsecret = getpass.getpass('Password: ')\nprint(len(secret))",
    ]
    async with real_kit(tmp_path, sources) as kit:
        first, second = (await kit.runner.run_all(ANA))["queued"]
        await kit.status(first, "waiting-input")
        await kit.runner.answer_input(ANA, first, "Ada")
        await kit.status(second, "waiting-input")
        await kit.runner.answer_input(ANA, second, "s3cret")
        await kit.finished(first, second)
        text = [
            "".join(str(o.get("text", "")) for o in kit.outputs(c)) for c in ("code-0", "code-1")
        ]
        assert text == ["before\nwho? Ada\nhi Ada\n", "Password: \n6\n"]
