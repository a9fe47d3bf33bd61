"""Batches, pure: which runs a failure or an interrupt cancels, and what the page is told."""

from __future__ import annotations

from pairbook.kernel.batches import interrupt_batch, stop_batch
from pairbook.kernel.queue import ExecutionQueue, ExecutionStatus
from pairbook.schema import UserRecord

ANA: UserRecord = {"id": "ana", "name": "Ana", "color": "#336699"}
BO: UserRecord = {"id": "bo", "name": "Bo", "color": "#993366"}
CELLS = ["intro", "c1", "c2", "c3"]


def test_one_request_for_several_cells_is_a_batch_and_one_cell_is_not() -> None:
    queue = ExecutionQueue(lambda: 5.0)
    batch = queue.push_batch(["c1", "c2"], ANA, "ana-1")
    (single,) = queue.push_batch(["c3"], ANA, "ana-1")
    assert {e.batch for e in batch} == {batch[0].id}
    assert batch[1].to_json()["batch"] == batch[0].id
    assert single.batch is None
    assert "batch" not in single.to_json()


def test_an_error_cancels_only_the_waiting_runs_of_its_own_batch() -> None:
    queue = ExecutionQueue(lambda: 5.0)
    first, second, third = queue.push_batch(["c1", "c2", "c3"], ANA, "ana-1")
    (bos,) = queue.push_batch(["c1"], BO, "bo-1")
    assert queue.pop() is first
    first.status, first.error = ExecutionStatus.ERROR, "NameError"
    cancelled, note = stop_batch(queue, first, CELLS, 9.0)
    assert cancelled == [second, third]
    assert list(queue) == [bos]
    for execution in cancelled:
        assert execution.status is ExecutionStatus.CANCELLED
        assert execution.error == "an earlier cell in this batch failed: cell 2"
        assert execution.extra["stopped_by"] == first.id
        assert execution.finished_at == 5.0
    assert note is not None
    assert (note["by"], note["ename"], note["still_queued"], note["at"]) == (
        ANA,
        "NameError",
        1,
        9.0,
    )


def test_a_run_that_ends_well_or_alone_stops_nothing() -> None:
    queue = ExecutionQueue()
    first, _ = queue.push_batch(["c1", "c2"], ANA, "ana-1")
    (single,) = queue.push_batch(["c3"], ANA, "ana-1")
    first.status = ExecutionStatus.OK
    assert stop_batch(queue, first, CELLS, 1.0) == ([], None)
    single.status = ExecutionStatus.ERROR
    assert stop_batch(queue, single, CELLS, 1.0) == ([], None)
    assert len(queue) == 3


def test_an_interrupt_between_two_runs_of_a_batch_stops_it() -> None:
    queue = ExecutionQueue()
    first, second = queue.push_batch(["c1", "c3"], ANA, "ana-1")
    assert queue.pop() is first
    assert interrupt_batch(queue, first, "Bo", CELLS, 1.0) == ([], None)  # still running
    first.status = ExecutionStatus.OK
    cancelled, note = interrupt_batch(queue, first, "Bo", CELLS, 1.0)
    assert cancelled == [second]
    assert second.error == "the batch was interrupted by Bo after cell 2"
    assert note is not None
    assert note["status"] == "interrupted"
    assert note["ename"] is None
