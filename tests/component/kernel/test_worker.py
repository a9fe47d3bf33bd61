"""The runner's worker starts when it is needed: a room nobody runs anything in keeps none of
its loops, the first run starts them; a room whose document shows a kernel that is gone
starts them at once, to say so."""

from __future__ import annotations

import asyncio
from typing import Any

from pycrdt import Map

from pairbook.kernel.runner import Runner
from support.kernelkit import DocRoom, ScriptedKernels, notebook_doc, person, running

ANA = person("ana")


def runner_over(room: DocRoom, kernels: ScriptedKernels) -> Runner:
    return Runner(room, kernels, "python3", clock=lambda: 1000.0, flush_seconds=0,
                  packages_delay=0, analyse_delay=0)  # fmt: skip


async def turns() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_no_loops_run_until_a_first_run_starts_them() -> None:
    room = DocRoom(notebook_doc(["a = 1"]), [ANA])
    kernels = ScriptedKernels()
    runner = runner_over(room, kernels)
    before = asyncio.all_tasks()
    try:
        async with running(runner.run()):
            await turns()
            assert not runner.needed.is_set()
            assert len(asyncio.all_tasks() - before) == 1  # the worker alone, waiting
            (run,) = (await runner.run_cells(ANA, ["code-0"]))["queued"]
            executions = room.doc.get("executions", type=Map)
            await room.until(lambda: executions[run]["status"] == "ok")
            assert kernels.made[-1].ran == ["a = 1"]
            assert len(asyncio.all_tasks() - before) > 1  # its queue, status, widgets, ...
    finally:
        await runner.close()


async def test_a_kernel_the_document_shows_running_is_said_stopped_at_once() -> None:
    doc = notebook_doc(["a = 1"])
    doc.get("kernel", type=Map)["status"] = "idle"  # as a server that stopped left it
    room = DocRoom(doc, [ANA])
    runner = runner_over(room, ScriptedKernels())
    assert runner.needed.is_set()
    ykernel = doc.get("kernel", type=Map)
    try:
        async with running(runner.run()):

            def stopped() -> Any:
                return ykernel.get("stopped")

            await room.until(lambda: stopped() is not None)
            assert ykernel["status"] == "stopped"
            assert stopped()["reason"] == "server"
    finally:
        await runner.close()
