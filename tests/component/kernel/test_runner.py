"""The runner over a room double and a scripted kernel: queue order, attribution records,
streamed outputs, the output budget, interrupt, restart, a dead kernel, stale marks; and
one run on a real ipykernel."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Map, Text

from pairbook.auth import Role
from pairbook.kernel import KernelSessions
from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.runner import Runner
from pairbook.notebook.outputs import find_ycell
from support.kernelkit import (
    FINAL,
    DocRoom,
    Script,
    ScriptedKernel,
    ScriptedKernels,
    Turn,
    notebook_doc,
    person,
    probe_reply,
    running,
)

ANA = person("ana")
BO = person("bo")
OWNER = person("olga", Role.OWNER)
CLOCK = 1000.0


def clock() -> float:
    return CLOCK


class Kit:
    """A runner over a DocRoom and the scripted kernel, its worker running."""

    def __init__(self, runner: Runner, room: DocRoom, kernels: ScriptedKernels) -> None:
        self.runner = runner
        self.room = room
        self.kernels = kernels

    @property
    def kernel(self) -> ScriptedKernel:
        return self.kernels.made[-1]

    def kernel_map(self) -> dict[str, Any]:
        result: dict[str, Any] = self.room.doc.get("kernel", type=Map).to_py()
        return result

    def record(self, execution_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.room.doc.get("executions", type=Map)[execution_id]
        return record

    def cell(self, cell_id: str) -> dict[str, Any]:
        ycell = find_ycell(self.room.doc, cell_id)
        assert ycell is not None
        result = ycell.to_py()
        assert result is not None
        return result

    async def finished(self, *execution_ids: str) -> None:
        """Wait until these runs have a final record."""
        await self.room.until(lambda: all(self.record(e)["status"] in FINAL for e in execution_ids))

    async def running(self, execution_id: str) -> None:
        await self.room.until(lambda: self.runner.current is not None
                    and self.runner.current.id == execution_id)  # fmt: skip


@contextlib.asynccontextmanager
async def runner_kit(
    sources: list[str],
    scripts: dict[str, Script] | None = None,
    *,
    output_limit: int = 1_000_000,
    kernel_state: bool = False,
) -> AsyncIterator[Kit]:
    room = DocRoom(notebook_doc(sources), [ANA, BO, OWNER])
    kernels = ScriptedKernels(scripts)
    runner = Runner(
        room,
        kernels,
        "python3",
        output_limit=output_limit,
        kernel_state=kernel_state,
        clock=clock,
        flush_seconds=0,
        packages_delay=0,
        analyse_delay=0,
    )
    try:
        async with running(runner.run()):
            yield Kit(runner, room, kernels)
    finally:
        await runner.close()


class Gate:
    """A script that waits until the test opens it."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.open = asyncio.Event()

    async def __call__(self, turn: Turn) -> ExecutionOutcome:
        self.entered.set()
        await self.open.wait()
        return turn.ok()


async def test_runs_execute_in_request_order_and_each_is_attributed() -> None:
    async with runner_kit(["a = 1", "b = 2"]) as kit:
        first = await kit.runner.run_cells(ANA, ["code-0"])
        second = await kit.runner.run_cells(BO, ["code-1", "code-0"])
        ids = first["queued"] + second["queued"]
        await kit.finished(*ids)
        assert kit.kernel.ran == ["a = 1", "b = 2", "a = 1"]
        records = [kit.record(e) for e in ids]
        assert [r["cell_id"] for r in records] == ["code-0", "code-1", "code-0"]
        assert [r["user"]["name"] for r in records] == ["Ana", "Bo", "Bo"]
        assert records[0]["user"] == {"id": "ana", "name": "Ana", "color": "#336699"}
        assert [r["execution_count"] for r in records] == [1, 2, 3]
        for record in records:
            assert record["status"] == "ok"
            assert record["queued_at"] == record["started_at"] == record["finished_at"] == CLOCK
            assert record["source_hash"]
        assert kit.kernel_map()["queue"] == []
        assert kit.kernel_map()["current"] is None


async def test_markdown_cells_are_skipped_and_unknown_cells_refused() -> None:
    async with runner_kit(["a = 1"]) as kit:
        assert (await kit.runner.run_cells(ANA, ["intro"]))["queued"] == []
        with pytest.raises(ValueError, match="no cell 'nope'"):
            await kit.runner.run_cells(ANA, ["code-0", "nope"])
        assert kit.kernel_map().get("queue", []) == []


async def test_run_all_above_and_below_queue_the_cells_around_an_anchor() -> None:
    async with runner_kit(["a", "b", "c"]) as kit:
        above = await kit.runner.run_above(ANA, "code-2")
        below = await kit.runner.run_below(ANA, "code-1")
        every = await kit.runner.run_all(ANA)
        await kit.finished(*above["queued"], *below["queued"], *every["queued"])
        assert kit.kernel.ran == ["a", "b", "b", "c", "a", "b", "c"]
        with pytest.raises(ValueError, match="run-above needs 'cell'"):
            await kit.runner.run_above(ANA, "nope")


async def test_run_all_skips_items_of_cells_no_client_can_read() -> None:
    # A log from before the room refused them may hold a number, a string, a numeric id.
    async with runner_kit(["a", "b"]) as kit:
        ycells = kit.room.doc.get("cells", type=Array)
        with kit.room.doc.transaction():
            ycells.insert(1, 42)
            ycells.insert(2, "text")
            cell = {"id": 7, "cell_type": "code", "source": Text("c"), "metadata": Map()}
            ycells.append(Map({**cell, "outputs": Array()}))
        every = await kit.runner.run_all(ANA)
        await kit.finished(*every["queued"])
        assert kit.kernel.ran == ["a", "b"]


async def test_queued_runs_are_published_before_they_start() -> None:
    gate = Gate()
    async with runner_kit(["hold", "b"], {"hold": gate}) as kit:
        (held,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await gate.entered.wait()
        (waiting,) = (await kit.runner.run_cells(BO, ["code-1"]))["queued"]
        kernel = kit.kernel_map()
        assert kernel["current"]["id"] == held
        assert kernel["current"]["status"] == "running"
        assert [e["id"] for e in kernel["queue"]] == [waiting]
        assert kit.record(waiting)["status"] == "queued"
        assert kit.cell("code-0")["execution_state"] == "running"
        gate.open.set()
        await kit.finished(held, waiting)


async def test_outputs_stream_into_the_cell_as_they_arrive() -> None:
    printed = asyncio.Event()
    go_on = asyncio.Event()

    async def chatty(turn: Turn) -> ExecutionOutcome:
        turn.print("one\n")
        printed.set()
        await go_on.wait()
        turn.print("two\n")
        turn.output("execute_result", {"data": {"text/plain": "42"}, "metadata": {},
                                       "execution_count": turn.count})  # fmt: skip
        return turn.ok()

    async with runner_kit(["chatty"], {"chatty": chatty}) as kit:
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await printed.wait()
        await kit.room.until(lambda: bool(kit.cell("code-0")["outputs"]))
        assert kit.cell("code-0")["outputs"][0]["text"] == "one\n"
        go_on.set()
        await kit.finished(run)
        cell = kit.cell("code-0")
        assert [o["output_type"] for o in cell["outputs"]] == ["stream", "execute_result"]
        assert cell["outputs"][0]["text"] == "one\ntwo\n"
        assert cell["execution_count"] == 1
        assert cell["execution_state"] == "idle"
        assert cell["metadata"]["pairbook"]["last_run"]["id"] == run


async def test_a_new_run_clears_the_cells_previous_outputs() -> None:
    async def hello(turn: Turn) -> ExecutionOutcome:
        turn.print("hello\n")
        return turn.ok()

    async with runner_kit(["hello"], {"hello": hello}) as kit:
        for _ in range(2):
            (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
            await kit.finished(run)
        assert [o["text"] for o in kit.cell("code-0")["outputs"]] == ["hello\n"]


async def test_output_past_the_limit_is_truncated_with_a_note() -> None:
    async def flood(turn: Turn) -> ExecutionOutcome:
        for index in range(100):
            turn.print(f"line {index:03}\n")
        return turn.ok()

    async with runner_kit(["flood"], {"flood": flood}, output_limit=300) as kit:
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.finished(run)
        outputs = kit.cell("code-0")["outputs"]
        assert outputs[0]["text"].startswith("line 000\n")
        assert "line 099" not in outputs[0]["text"]
        assert len(outputs) == 2
        assert "output truncated" in outputs[1]["text"]
        assert kit.record(run)["status"] == "ok"


async def test_interrupt_stops_the_running_cell_and_is_noted_in_the_kernel_map() -> None:
    async def forever(turn: Turn) -> ExecutionOutcome:
        return await turn.until_interrupted()

    async with runner_kit(["forever"], {"forever": forever}) as kit:
        assert await kit.runner.interrupt(ANA) == {"interrupted": None}
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.running(run)
        assert await kit.runner.interrupt(BO) == {"interrupted": run}
        await kit.finished(run)
        assert kit.record(run)["status"] == "interrupted"
        event = kit.kernel_map()["last_event"]
        assert event == {
            "kind": "interrupt",
            "by": {"id": "bo", "name": "Bo", "color": "#336699"},
            "at": CLOCK,
        }


async def test_restart_drops_the_queue_and_restarts_the_kernel() -> None:
    async def forever(turn: Turn) -> ExecutionOutcome:
        return await turn.until_interrupted()

    async with runner_kit(["forever", "b"], {"forever": forever}) as kit:
        (running,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.running(running)
        waiting = (await kit.runner.run_cells(BO, ["code-1", "code-1"]))["queued"]
        result = await kit.runner.restart(OWNER)
        assert result == {"restarted": True, "cancelled": waiting}
        await kit.finished(running, *waiting)
        assert [kit.record(e)["status"] for e in waiting] == ["cancelled", "cancelled"]
        # Each dropped run says why it never ran, on its badge.
        assert [kit.record(e)["error"] for e in waiting] == ["the kernel was restarted by Olga"] * 2
        assert kit.record(running)["status"] == "interrupted"
        assert kit.kernel.restarts == 1
        assert kit.kernel.ran == ["forever"]
        assert kit.kernel_map()["last_event"]["kind"] == "restart"


async def test_a_dead_kernel_fails_its_run_and_drops_the_queue() -> None:
    gate = Gate()

    async def die(turn: Turn) -> ExecutionOutcome:
        await gate(turn)
        return ExecutionOutcome("dead", None)

    async with runner_kit(["die", "b"], {"die": die}) as kit:
        (dying,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await gate.entered.wait()
        (waiting,) = (await kit.runner.run_cells(ANA, ["code-1"]))["queued"]
        gate.open.set()
        await kit.finished(dying, waiting)
        assert kit.record(dying)["status"] == "dead"
        assert kit.record(waiting)["status"] == "cancelled"
        assert kit.record(waiting)["error"] == "the kernel died"
        await kit.room.until(lambda: kit.kernel_map().get("status") == "stopped")
        assert kit.kernel_map()["stopped"] == {"reason": "died", "by": None, "at": CLOCK,
                                               "idle_for": None}  # fmt: skip
        assert kit.kernel_map()["started_at"] is None
        assert kit.cell("code-0")["execution_state"] == "idle"


async def test_a_failing_run_stops_its_batch_and_other_requests_still_run() -> None:
    gate = Gate()

    async def fail(turn: Turn) -> ExecutionOutcome:
        await gate(turn)
        turn.output("error", {"ename": "ValueError", "evalue": "bad", "traceback": ["tb"]})
        return turn.error()

    async with runner_kit(["fail", "b", "c"], {"fail": fail}) as kit:
        batch = (await kit.runner.run_cells(ANA, ["code-0", "code-1", "code-2"]))["queued"]
        await gate.entered.wait()
        (single,) = (await kit.runner.run_cells(ANA, ["code-1"]))["queued"]
        (bos,) = (await kit.runner.run_cells(BO, ["code-2"]))["queued"]
        assert {kit.record(e)["batch"] for e in batch} == {batch[0]}
        assert "batch" not in kit.record(single)
        gate.open.set()
        await kit.finished(*batch, single, bos)
        assert [kit.record(e)["status"] for e in batch] == ["error", "cancelled", "cancelled"]
        assert kit.record(batch[0])["error"] == "ValueError"
        for cancelled in batch[1:]:
            record = kit.record(cancelled)
            assert record["error"] == "an earlier cell in this batch failed: cell 2"
            assert record["stopped_by"] == batch[0]
            assert record["started_at"] is None
        assert [kit.record(e)["status"] for e in (single, bos)] == ["ok", "ok"]
        assert kit.kernel.ran == ["fail", "b", "c"]
        assert kit.cell("code-0")["outputs"][0]["ename"] == "ValueError"
        assert kit.kernel_map()["stopped_batch"] == {
            "batch": batch[0],
            "by": {"id": "ana", "name": "Ana", "color": "#336699"},
            "execution": batch[0],
            "cell_id": "code-0",
            "status": "error",
            "ename": "ValueError",
            "cancelled": batch[1:],
            "still_queued": 2,
            "at": CLOCK,
        }
        # Her next batch makes the note about the last one moot.
        again = (await kit.runner.run_cells(ANA, ["code-1", "code-2"]))["queued"]
        assert kit.kernel_map()["stopped_batch"] is None
        await kit.finished(*again)


async def test_a_batch_whose_last_run_fails_has_nothing_to_stop() -> None:
    async def fail(turn: Turn) -> ExecutionOutcome:
        return turn.error()

    async with runner_kit(["a", "fail"], {"fail": fail}) as kit:
        batch = (await kit.runner.run_all(ANA))["queued"]
        await kit.finished(*batch)
        assert [kit.record(e)["status"] for e in batch] == ["ok", "error"]
        assert kit.kernel_map().get("stopped_batch") is None


async def test_an_interrupt_stops_the_running_batch_but_not_other_peoples_runs() -> None:
    async def forever(turn: Turn) -> ExecutionOutcome:
        return await turn.until_interrupted()

    async with runner_kit(["a", "forever", "c"], {"forever": forever}) as kit:
        batch = (await kit.runner.run_all(ANA))["queued"]
        (bos,) = (await kit.runner.run_cells(BO, ["code-0"]))["queued"]
        await kit.running(batch[1])
        assert await kit.runner.interrupt(BO) == {"interrupted": batch[1]}
        await kit.finished(*batch, bos)
        statuses = [kit.record(e)["status"] for e in (*batch, bos)]
        assert statuses == ["ok", "interrupted", "cancelled", "ok"]
        reason = "an earlier cell in this batch was interrupted: cell 3"
        assert kit.record(batch[2])["error"] == reason
        assert kit.kernel.ran == ["a", "forever", "a"]
        note = kit.kernel_map()["stopped_batch"]
        assert (note["status"], note["ename"], note["still_queued"]) == (
            "interrupted",
            "KeyboardInterrupt",
            1,
        )


async def test_a_run_is_cancelled_by_whoever_queued_it_or_the_owner_only() -> None:
    gate = Gate()
    async with runner_kit(["hold", "b"], {"hold": gate}) as kit:
        (held,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await gate.entered.wait()
        first, second = (await kit.runner.run_cells(ANA, ["code-1", "code-1"]))["queued"]
        with pytest.raises(PermissionError):
            await kit.runner.cancel(BO, first)
        assert await kit.runner.cancel(ANA, first) == {"cancelled": first}
        assert await kit.runner.cancel(OWNER, second) == {"cancelled": second}
        with pytest.raises(ValueError, match="not waiting"):
            await kit.runner.cancel(ANA, held)
        assert kit.record(first)["cancelled_by"] == "ana"
        assert kit.record(second)["status"] == "cancelled"
        gate.open.set()
        await kit.finished(held)
        assert kit.kernel.ran == ["hold"]


async def test_an_input_prompt_goes_to_the_person_who_ran_the_cell_only() -> None:
    async def ask(turn: Turn) -> ExecutionOutcome:
        answer = await turn.ask("Password: ", password=True)
        turn.print(f"got {answer}\n")
        return turn.ok()

    async with runner_kit(["ask"], {"ask": ask}) as kit:
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.room.until(lambda: bool(kit.room.events))
        ((key, event),) = kit.room.events
        assert key == ANA.key
        assert event == {"event": "input-request", "execution": run, "cell": "code-0",
                         "prompt": "Password: ", "password": True}  # fmt: skip
        assert kit.record(run)["status"] == "waiting-input"
        assert kit.record(run)["prompt"] == "Password: "
        with pytest.raises(PermissionError):
            await kit.runner.answer_input(BO, run, "guess")
        assert await kit.runner.answer_input(ANA, run, "s3cret") == {"sent": True}
        await kit.finished(run)
        # The prompt is echoed in the output, a password's answer is not (the code printed it).
        assert kit.cell("code-0")["outputs"][0]["text"] == "Password: \ngot s3cret\n"
        with pytest.raises(ValueError, match="no run is waiting"):
            await kit.runner.answer_input(ANA, run, "again")


async def test_an_answered_prompt_is_echoed_in_the_output_between_what_was_printed() -> None:
    async def ask(turn: Turn) -> ExecutionOutcome:
        turn.print("before\n")
        answer = await turn.ask("who? ")
        turn.print(f"hi {answer}\n")
        return turn.ok()

    async with runner_kit(["ask"], {"ask": ask}) as kit:
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.room.until(lambda: kit.record(run)["status"] == "waiting-input")
        await kit.runner.answer_input(ANA, run, "Ada")
        await kit.finished(run)
        assert kit.cell("code-0")["outputs"][0]["text"] == "before\nwho? Ada\nhi Ada\n"


async def test_set_kernel_replaces_the_kernel_and_refuses_unknown_ones() -> None:
    async with runner_kit(["a"]) as kit:
        assert kit.runner.kernels() == {
            "kernels": {"python3": "Python 3", "other": "Other"},
            "current": "python3",
        }
        with pytest.raises(ValueError, match="no kernel named 'nope'"):
            await kit.runner.set_kernel(OWNER, "nope")
        assert await kit.runner.set_kernel(OWNER, "other") == {"kernel": "other"}
        assert kit.kernel.kernel_name == "other"
        kernel = kit.kernel_map()
        assert (kernel["name"], kernel["display_name"]) == ("other", "Other")
        assert kernel["last_event"]["kind"] == "set-kernel"


async def test_shutdown_stops_the_kernel_and_a_later_run_starts_it() -> None:
    async with runner_kit(["a"]) as kit:
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.finished(run)
        assert kit.kernel.started
        assert await kit.runner.shutdown(OWNER) == {"cancelled": []}
        assert not kit.kernel.started
        await kit.room.until(lambda: kit.kernel_map().get("status") == "stopped")
        stopped = kit.kernel_map()["stopped"]
        assert (stopped["reason"], stopped["by"]["name"], stopped["at"]) == (
            "shutdown",
            "Olga",
            CLOCK,
        )
        (again,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.finished(again)
        assert kit.kernel.started
        await kit.room.until(lambda: kit.kernel_map().get("status") == "idle")
        assert kit.kernel_map()["stopped"] is None


async def test_a_shutdown_mid_run_drops_the_queue_saying_who_shut_the_kernel_down() -> None:
    async def forever(turn: Turn) -> ExecutionOutcome:
        return await turn.until_interrupted()

    async with runner_kit(["forever", "b"], {"forever": forever}) as kit:
        (running,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.running(running)
        (waiting,) = (await kit.runner.run_cells(BO, ["code-1"]))["queued"]
        assert await kit.runner.shutdown(OWNER) == {"cancelled": [waiting]}
        await kit.finished(waiting)
        assert kit.record(waiting)["status"] == "cancelled"
        assert kit.record(waiting)["error"] == "the kernel was shut down by Olga"


async def test_a_cell_that_read_a_name_another_run_changed_is_marked_stale() -> None:
    x = {"type": "int", "summary": "1", "fingerprint": "x1"}
    y = {"type": "int", "summary": "2", "fingerprint": "y1"}

    async with runner_kit(["x = 1", "y = x + 1"], kernel_state=True) as kit:
        kit.kernel.namespace = {"x": x}
        (first,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.finished(first)
        kit.kernel.namespace = {"x": x, "y": y}
        (second,) = (await kit.runner.run_cells(ANA, ["code-1"]))["queued"]
        await kit.finished(second)
        analysis = kit.kernel_map()["analysis"]
        assert analysis["warnings"] == {}
        assert set(kit.kernel_map()["variables"]) == {"x", "y"}
        kit.kernel.namespace = {"x": {**x, "summary": "5", "fingerprint": "x2"}, "y": y}
        (third,) = (await kit.runner.run_cells(BO, ["code-0"]))["queued"]
        await kit.finished(third)
        (stale,) = kit.kernel_map()["analysis"]["warnings"]["code-1"]
        assert stale["kind"] == "stale"
        assert stale["name"] == "x"
        assert stale["cell"] == "code-0"
        assert stale["by"]["name"] == "Bo"


async def test_a_restart_clears_the_kernel_state_view() -> None:
    async with runner_kit(["x = 1"], kernel_state=True) as kit:
        kit.kernel.namespace = {"x": {"type": "int", "summary": "1", "fingerprint": "a"}}
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.finished(run)
        assert set(kit.kernel_map()["variables"]) == {"x"}
        await kit.runner.restart(ANA)
        assert kit.kernel_map()["variables"] == {}
        assert (await kit.runner.refresh_state())["refreshed"] is True


async def test_a_real_ipykernel_runs_a_cell_and_the_view_sees_its_names(tmp_path: Path) -> None:
    room = DocRoom(notebook_doc(["print('hi')\nanswer = 41 + 1"]), [ANA])
    runner = Runner(room, KernelSessions(tmp_path), "python3", analyse_delay=0)
    kit = Kit(runner, room, ScriptedKernels())
    try:
        async with running(runner.run()):
            (run,) = (await runner.run_cells(ANA, ["code-0"]))["queued"]
            await kit.finished(run)
            assert kit.record(run)["status"] == "ok"
            assert kit.cell("code-0")["outputs"][0]["text"] == "hi\n"
            assert kit.kernel_map()["variables"]["answer"]["summary"] == "42"
    finally:
        await runner.close()


async def test_what_a_run_learned_of_a_kernel_that_restarted_meanwhile_is_dropped() -> None:
    old = {"x": {"type": "int", "summary": "1", "fingerprint": "a"}}

    async def late(turn: Turn) -> ExecutionOutcome:
        await turn.kernel.interrupted.wait()
        # The run's reply still carries a probe of the namespace the restart wiped out.
        return ExecutionOutcome("ok", turn.count, None, probe_reply(
            {"full": True, "changed": old, "removed": []}))  # fmt: skip

    async with runner_kit(["late"], {"late": late}, kernel_state=True) as kit:
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.running(run)
        await kit.runner.restart(ANA)
        await kit.finished(run)
        assert kit.record(run)["status"] == "ok"
        assert kit.kernel_map()["variables"] == {}


async def test_a_refresh_between_runs_waits_for_the_packages_lookup_instead_of_refusing() -> None:
    async with runner_kit(["x = 1"], kernel_state=True) as kit:
        kit.kernel.namespace = {"x": {"type": "int", "summary": "1", "fingerprint": "a"}}
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.finished(run)
        looking_up, answer = asyncio.Event(), asyncio.Event()
        evaluate = kit.kernel.evaluate

        async def slow_lookup(expressions: dict[str, str]) -> dict[str, Any]:
            if expressions["pairbook"].endswith(".packages()"):
                looking_up.set()
                await answer.wait()
                return probe_reply([])
            return await evaluate(expressions)

        kit.kernel.evaluate = slow_lookup  # type: ignore[method-assign]
        lookup = asyncio.create_task(kit.runner.refresh_packages())
        await looking_up.wait()  # the packages lookup after the run holds the kernel now
        refresh = asyncio.create_task(kit.runner.refresh_state())
        answer.set()
        assert (await refresh)["refreshed"] is True
        assert await lookup == []


async def test_a_refresh_while_a_run_is_under_way_is_refused_and_says_why() -> None:
    gate = Gate()
    async with runner_kit(["wait"], {"wait": gate}, kernel_state=True) as kit:
        kit.kernel.namespace = {}
        (run,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await gate.entered.wait()
        refused = await kit.runner.refresh_state()
        assert refused == {"refreshed": False, "reason": "a run is in progress; the view "
                           "refreshes when it ends"}  # fmt: skip
        gate.open.set()
        await kit.finished(run)


async def test_a_runs_bookkeeping_is_one_edit_at_its_start_and_one_at_its_end() -> None:
    async def hello(turn: Turn) -> ExecutionOutcome:
        turn.print("hello\n")
        return turn.ok()

    async with runner_kit(["hello"], {"hello": hello}, kernel_state=True) as kit:
        kit.kernel.namespace = {"x": {"type": "int", "summary": "1", "fingerprint": "a"}}
        (first,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.finished(first)
        before = kit.room.edits
        (second,) = (await kit.runner.run_cells(ANA, ["code-0"]))["queued"]
        await kit.finished(second)
        # Its record queued and running with the kernel busy; its cell cleared and running;
        # its output; its cell idle with its count; its record final with the view and the
        # kernel idle. (Each of these was an edit of its own, eight in all.)
        assert kit.room.edits - before == 5
        assert kit.record(second)["status"] == "ok"
        assert kit.kernel_map()["status"] == "idle"
        assert kit.cell("code-0")["execution_state"] == "idle"
        assert kit.cell("code-0")["outputs"][0]["text"] == "hello\n"
