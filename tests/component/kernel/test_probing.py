"""Prober: the probe module's source goes to a kernel only while it may lack the module."""

from __future__ import annotations

from typing import Any

from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.probe import PROBE_KEY
from pairbook.kernel.probing import Prober
from pairbook.kernel.queue import Execution, ExecutionStatus
from pairbook.state.view import StateView
from support.kernelkit import DocRoom, notebook_doc, probe_reply

SOURCE_MARK = "<pairbook namespace probe>"  # only in the expression that installs the module


class ProbedKernel:
    """Answers the probe as a kernel does: a call by name fails with KeyError until an
    expression carrying the module's source installed it (a new process lacks it)."""

    def __init__(self) -> None:
        self.started = True
        self.has_module = False
        self.sent: list[str] = []  # every probe expression, in order
        self.generation = 0

    def answer(self, expressions: dict[str, str]) -> dict[str, Any]:
        expression = expressions[PROBE_KEY]
        self.sent.append(expression)
        if SOURCE_MARK in expression:
            self.has_module = True
        elif not self.has_module:
            return {PROBE_KEY: {"status": "error", "ename": "KeyError",
                                "evalue": "'_pairbook_probe'", "traceback": []}}  # fmt: skip
        self.generation += 1
        return probe_reply({"generation": self.generation, "full": True,
                            "changed": {}, "removed": []})  # fmt: skip

    async def evaluate(self, expressions: dict[str, str]) -> dict[str, Any]:
        return self.answer(expressions)

    def new_process(self) -> None:
        self.has_module = False
        self.generation = 0


def execution(number: int) -> Execution:
    run = Execution(f"run-{number}", "code-0", {"id": "ana", "name": "Ana", "color": "#123"},
                    "ana-1", 0.0)  # fmt: skip
    run.status = ExecutionStatus.OK
    return run


async def run_once(prober: Prober, kernel: ProbedKernel, number: int) -> str:
    """A run as the executor makes it: its probe rides on the request; returns what was sent."""
    expressions = prober.run_expressions(kernel)  # type: ignore[arg-type]
    assert expressions is not None
    reply = kernel.answer(expressions)
    outcome = ExecutionOutcome("ok", number, None, reply)
    write = await prober.after_run(kernel, execution(number), "x = 1", outcome, prober.epoch)  # type: ignore[arg-type]
    assert write is not None
    return expressions[PROBE_KEY]


async def test_the_module_goes_along_only_until_the_kernel_has_it() -> None:
    room = DocRoom(notebook_doc(["x = 1"]))
    prober = Prober(room, StateView(room))
    kernel = ProbedKernel()
    first = await run_once(prober, kernel, 1)
    second = await run_once(prober, kernel, 2)
    assert SOURCE_MARK in first
    assert SOURCE_MARK not in second
    assert len(second) < 200
    assert (await prober.refresh(kernel, running=False))["refreshed"]  # type: ignore[arg-type]
    assert SOURCE_MARK not in kernel.sent[-1]
    # A kernel process the server did not see start: the call by name fails once, and a
    # silent probe with the module follows at once, so the view is still refreshed.
    kernel.new_process()
    sent = len(kernel.sent)
    await run_once(prober, kernel, 3)
    assert [SOURCE_MARK in e for e in kernel.sent[sent:]] == [False, True]
    assert SOURCE_MARK not in await run_once(prober, kernel, 4)
    # A restart the server made: the next run sends the module straight away.
    prober.forget()
    kernel.new_process()
    assert SOURCE_MARK in await run_once(prober, kernel, 5)
    kernel.new_process()
    kernel.started = False  # a run that starts the kernel
    expressions = prober.run_expressions(kernel)  # type: ignore[arg-type]
    assert expressions is not None
    assert SOURCE_MARK in expressions[PROBE_KEY]
