"""A kernel outlives its room: the runner hands it over when the room unloads and the room's
next runner takes it back with what the first one knew; the idle cull warns, then stops it;
a room that shows a kernel the server no longer has says it stopped."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pycrdt import Doc, Map

from pairbook.kernel.kept import KeptKernel, KeptKernels, StatusRelay
from pairbook.kernel.runner import Runner
from pairbook.kernel.session import StatusCallback
from pairbook.schema import KernelStopRecord
from support.kernelkit import (
    DocRoom,
    ScriptedKernel,
    ScriptedKernels,
    notebook_doc,
    person,
    running,
)

ANA = person("ana")
X = {"type": "int", "summary": "1", "fingerprint": "x1"}


def kernel_map(room: DocRoom) -> dict[str, Any]:
    result: dict[str, Any] = room.doc.get("kernel", type=Map).to_py()
    return result


def runner_of(
    room: DocRoom,
    kernels: ScriptedKernels,
    *,
    kept: KeptKernel | None = None,
    stopped: KernelStopRecord | None = None,
    cull_after: float | None = None,
    clock: Any = time.time,
) -> Runner:
    return Runner(room, kernels, "python3", kernel_state=True, clock=clock, flush_seconds=0,
                  packages_delay=0, analyse_delay=0, kept=kept, stopped=stopped,
                  cull_after=cull_after)  # fmt: skip


async def ran(room: DocRoom, runner: Runner, cell: str) -> None:
    (run,) = (await runner.run_cells(ANA, [cell]))["queued"]
    executions = room.doc.get("executions", type=Map)
    await room.until(lambda: executions[run]["status"] == "ok" and runner.current is None)


async def test_a_room_that_reloads_takes_its_kernel_and_view_back() -> None:
    kernels = ScriptedKernels()
    first_room = DocRoom(notebook_doc(["x = 1", "x"]))
    first = runner_of(first_room, kernels)
    async with running(first.run()):
        kernels.made[0].namespace = {"x": X}
        await ran(first_room, first, "code-0")
    kept = first.detach()
    assert kept is not None
    assert kept.session is kernels.made[0]
    assert kept.view is not None
    assert "x" in kept.view.model.names

    # The room loads again from its log: another document with the same content.
    reloaded: Doc[Any] = Doc()
    reloaded.apply_update(first_room.doc.get_update())
    second_room = DocRoom(reloaded)
    second = runner_of(second_room, kernels, kept=kept)
    async with running(second.run()):
        await ran(second_room, second, "code-1")
        assert len(kernels.made) == 1  # the same kernel, not a new one
        assert kernels.made[0].ran == ["x = 1", "x"]
        assert second.state is not None
        assert "x" in second.state.model.names
        shown = kernel_map(second_room)
        assert shown["status"] == "idle"
        assert shown.get("stopped") is None
        assert "x" in shown["variables"]
        kernels.made[0].namespace = None  # its status changes reach the new runner
        await second.shutdown(ANA)
        await second_room.until(lambda: kernel_map(second_room)["status"] == "stopped")
    await second.close()


async def test_a_room_showing_a_kernel_the_server_lacks_says_it_stopped() -> None:
    room = DocRoom(notebook_doc(["x = 1"]))
    room.doc.get("kernel", type=Map).update({"name": "python3", "status": "idle"})
    runner = runner_of(room, ScriptedKernels())
    async with running(runner.run()):
        await room.until(lambda: kernel_map(room)["status"] == "stopped")
        assert kernel_map(room)["stopped"] == {
            "reason": "server", "by": None, "at": None, "idle_for": None,
        }  # fmt: skip


async def test_a_kernel_culled_while_its_room_was_unloaded_is_shown_stopped_by_the_cull() -> None:
    room = DocRoom(notebook_doc(["x = 1"]))
    room.doc.get("kernel", type=Map).update({"name": "python3", "status": "idle"})
    stop: KernelStopRecord = {"reason": "idle", "by": None, "at": 5.0, "idle_for": 3600.0}
    runner = runner_of(room, ScriptedKernels(), stopped=stop)
    async with running(runner.run()):
        await room.until(lambda: kernel_map(room)["status"] == "stopped")
        assert kernel_map(room)["stopped"] == stop


async def test_an_idle_kernel_is_warned_about_then_culled_and_a_run_starts_a_new_one() -> None:
    room = DocRoom(notebook_doc(["x = 1"]))
    kernels = ScriptedKernels()
    runner = runner_of(room, kernels, cull_after=0.4)
    async with running(runner.run()):
        await ran(room, runner, "code-0")
        await room.until(lambda: kernel_map(room).get("cull_at") is not None)
        assert kernel_map(room)["status"] == "idle"
        await room.until(lambda: kernel_map(room)["status"] == "stopped")
        shown = kernel_map(room)
        assert shown["stopped"]["reason"] == "idle"
        assert shown["stopped"]["idle_for"] >= 0.4
        assert shown["cull_at"] is None
        assert not kernels.made[0].started
        await ran(room, runner, "code-0")  # the next run starts a kernel again
        assert kernel_map(room).get("stopped") is None
    await runner.close()


async def test_kept_kernels_idle_too_long_are_culled_and_their_stop_noted() -> None:
    now = [100.0]
    kernels = ScriptedKernels()
    kept = KeptKernels(clock=lambda: now[0])
    for room, idle_since in (("old.ipynb", 10.0), ("fresh.ipynb", 90.0)):
        session = kernels(room, StatusRelay())
        session.started = True
        kept.keep(room, KeptKernel(session, StatusRelay(), idle_since=idle_since))
    assert await kept.cull(60.0) == ["old.ipynb"]
    assert not kernels.made[0].started
    assert kernels.made[1].started
    assert kept.take("old.ipynb") is None
    assert kept.take_stop("old.ipynb") == {
        "reason": "idle", "by": None, "at": 100.0, "idle_for": 90.0,
    }  # fmt: skip
    await kept.close()
    assert not kernels.made[1].started
    assert len(kept) == 0


async def test_a_kernel_that_dies_while_idle_is_shown_stopped_without_a_run() -> None:
    room = DocRoom(notebook_doc(["x = 1"]))
    kernels = ScriptedKernels()
    runner = Runner(room, kernels, "python3", kernel_state=False, flush_seconds=0,
                    packages_delay=0, alive_seconds=0.01)  # fmt: skip
    async with running(runner.run()):
        await ran(room, runner, "code-0")
        kernels.made[0].crashed = True  # killed from outside, or out of memory
        await room.until(lambda: kernel_map(room)["status"] == "stopped")
        assert kernel_map(room)["stopped"]["reason"] == "died"
        assert not kernels.made[0].started  # shut down: its sockets and leftovers are gone
    await runner.close()


async def test_a_kept_kernel_that_died_is_forgotten_and_its_death_noted() -> None:
    kernels = ScriptedKernels()
    kept = KeptKernels(clock=lambda: 7.0)
    session = kernels("python3", StatusRelay())
    session.started = True
    kept.keep("demo.ipynb", KeptKernel(session, StatusRelay(), idle_since=1.0))
    assert await kept.bury() == []
    session.crashed = True
    assert await kept.bury() == ["demo.ipynb"]
    assert kept.take("demo.ipynb") is None
    assert kept.take_stop("demo.ipynb") == {"reason": "died", "by": None, "at": 7.0,
                                            "idle_for": None}  # fmt: skip


class SlowShutdowns(ScriptedKernels):
    """Kernels whose shutdown waits until every kernel has been asked to shut down."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.asked = 0
        self.count = count
        self.everyone_asked = asyncio.Event()

    def __call__(self, kernel_name: str, on_status: StatusCallback) -> ScriptedKernel:
        kernel = super().__call__(kernel_name, on_status)
        plain = kernel.shutdown

        async def shutdown() -> None:
            self.asked += 1
            if self.asked == self.count:
                self.everyone_asked.set()
            async with asyncio.timeout(10):
                await self.everyone_asked.wait()
            await plain()

        kernel.shutdown = shutdown  # type: ignore[method-assign]
        return kernel


async def test_the_server_stopping_shuts_its_kept_kernels_down_all_at_once() -> None:
    kernels = SlowShutdowns(3)
    kept = KeptKernels()
    for room in ("a.ipynb", "b.ipynb", "c.ipynb"):
        session = kernels(room, StatusRelay())
        session.started = True
        kept.keep(room, KeptKernel(session, StatusRelay(), idle_since=1.0))
    await kept.close()
    assert [kernel.started for kernel in kernels.made] == [False, False, False]
    assert len(kept) == 0


def test_a_room_unloading_with_no_kernel_stops_its_view_observing_the_cells() -> None:
    # The cells' subscription lives in the document, out of the garbage collector's sight:
    # an observer left on it kept every unloaded room whose kernel never started.
    room = DocRoom(notebook_doc(["x = 1"]))
    runner = runner_of(room, ScriptedKernels())
    assert room._cells.subscribed
    assert runner.detach() is None  # no kernel was started
    assert not room._cells.subscribed
