"""Interrupts reach the run they were meant for (real ipykernel): a restart while a run is
under way ends the run with its kernel, and no interrupt meant for it reaches the kernel that
comes next; one asked with nothing under way stops neither the next run nor the next widget
callback, one asked as a widget message is sent stops its callback."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from pairbook.kernel.landing import Landing
from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.session import KernelSession, KernelStatus
from support.client import YClient
from support.clock import FakeClock
from support.server import ServerProcess

pytestmark = pytest.mark.integration

FINAL = ("ok", "error", "interrupted", "cancelled", "dead")

DEAF = (
    "import time\n"
    "while True:\n"
    "    try:\n"
    "        time.sleep(60)\n"
    "    except KeyboardInterrupt:\n"
    "        pass"
)
"""A run that goes on after a SIGINT and shows nothing: an interrupt in its first half
second is to be sent again."""


def ignore(*args: Any) -> None:
    return None


async def no_input(prompt: str, password: bool) -> str:
    return ""


class SeenLanding(Landing):
    """A Landing that says when an interrupt was sent to its run."""

    def __init__(self, send: Callable[[], Awaitable[None]]) -> None:
        # The clock never moves: the run is in its first half second for good, and the
        # interrupt waits an hour to be sent again (a restart takes seconds).
        super().__init__(send, FakeClock(), again_after=3600.0)
        self.interrupted_once = asyncio.Event()

    def sent(self) -> None:
        super().sent()
        self.interrupted_once.set()


async def test_a_restart_drops_the_interrupt_a_starting_run_was_to_be_sent_again(
    tmp_path: Path,
) -> None:
    landings: list[SeenLanding] = []
    statuses: list[KernelStatus] = []
    waiting_as_the_old_kernel_goes: list[bool] = []

    def landing(send: Callable[[], Awaitable[None]]) -> Landing:
        landings.append(SeenLanding(send))
        return landings[-1]

    def on_status(status: KernelStatus) -> None:
        statuses.append(status)
        if status == "restarting":  # the old kernel is shut down next
            waiting_as_the_old_kernel_goes.append(landings[-1].pending)

    kernel = KernelSession("python3", tmp_path, on_status, landing=landing)
    try:
        assert (await kernel.execute("x = 1", ignore, no_input)).status == "ok"
        run = asyncio.create_task(kernel.execute(DEAF, ignore, no_input))
        await asyncio.sleep(0)  # the task sends its request and makes the run's Landing
        _, landing_of_run = landings
        await kernel.interrupt()  # asked before its code starts: sent once it does
        await asyncio.wait_for(landing_of_run.interrupted_once.wait(), 60)
        assert landing_of_run.pending
        statuses.clear()
        await kernel.restart()
        # Else it goes on waiting until the run notices its kernel died (if it does before
        # the new one runs: otherwise it reaches the new kernel as it starts).
        assert waiting_as_the_old_kernel_goes == [False]
        assert not landing_of_run.pending
        outcome = await asyncio.wait_for(run, 30)
        assert (outcome.status, outcome.ename) == ("error", "KeyboardInterrupt")
        assert statuses == ["restarting", "idle"]  # never "dead": the kernel was restarted
        fresh = await kernel.execute("print(x)", ignore, no_input)
        assert (fresh.status, fresh.ename) == ("error", "NameError")
    finally:
        await kernel.shutdown()


async def run(client: YClient, cell_id: str) -> str:
    reply = await client.command("run", cells=[cell_id])
    assert reply["ok"], reply
    return str(reply["result"]["queued"][0])


def status_of(client: YClient, execution_id: str) -> str | None:
    return (client.map("executions").get(execution_id) or {}).get("status")


async def until_status(client: YClient, execution_id: str, *statuses: str) -> str:
    await client.wait_until(lambda: status_of(client, execution_id) in statuses, timeout=60)
    return str(status_of(client, execution_id))


async def test_a_restart_in_a_runs_first_half_second_restarts_and_sends_the_new_kernel_nothing(
    server: ServerProcess,
) -> None:
    # The restart interrupts the run first: in its first half second, with nothing shown,
    # that interrupt was to be sent again a second later, to whichever kernel ran then.
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        assert await until_status(ana, await run(ana, "code-0"), "ok") == "ok"  # x = 1
        await ana.set_source(1, DEAF)
        deaf = await run(ana, "code-0")
        await until_status(ana, deaf, "running")
        reply = await ana.command("restart", timeout=60)
        assert reply["ok"], reply
        assert await until_status(ana, deaf, *FINAL) == "interrupted"
        fresh = await run(ana, "code-1")  # y = x + 1, in a kernel without x
        assert await until_status(ana, fresh, *FINAL) == "error"
        assert ana.map("executions")[fresh]["error"] == "NameError"
        assert ana.map("kernel")["status"] == "idle"
    assert "interrupt sent again" not in server.log()


async def test_an_interrupt_asked_with_no_run_under_way_does_not_stop_the_next_one(
    tmp_path: Path,
) -> None:
    # Asked as a run ended (its last outputs still being written), it once waited for the
    # next run's code to start, and stopped that one.
    kernel = KernelSession("python3", tmp_path, ignore)
    try:
        assert (await kernel.execute("x = 1", ignore, no_input)).status == "ok"
        await kernel.interrupt()
        # Long enough for an interrupt sent again (at 1 s and 2 s) to land.
        slow = "import time\ntime.sleep(2.5)\nx = 2"
        outcome = await kernel.execute(slow, ignore, no_input)
        assert (outcome.status, outcome.ename) == ("ok", None)
    finally:
        await kernel.shutdown()


BUTTON = (
    "import ipywidgets as w, time\n"
    "clicks = []\n"
    "def slow(_):\n"
    "    time.sleep(2)\n"
    "    clicks.append('done')\n"
    "b = w.Button()\n"
    "b.on_click(slow)"
)
"""A button whose callback takes a while: an interrupt sent as the kernel begins a click
(and sent again every half second while it runs) lands in it."""

CLICK = {"method": "custom", "content": {"event": "click"}}


async def button(kernel: KernelSession) -> str:
    assert (await kernel.execute(BUTTON, ignore, no_input)).status == "ok"
    return str(await expression(kernel, "b.model_id"))


async def expression(kernel: KernelSession, code: str) -> Any:
    value = (await kernel.evaluate({"it": code}))["it"]
    assert value["status"] == "ok", value
    return ast.literal_eval(value["data"]["text/plain"])


async def test_an_interrupt_asked_between_widget_messages_does_not_stop_the_next_callback(
    tmp_path: Path,
) -> None:
    # Asked with nothing running (no run, no widget message under way), it was kept pending
    # and sent as the kernel began the next widget message: that click's callback stopped.
    kernel = KernelSession("python3", tmp_path, ignore)
    try:
        model = await button(kernel)
        await kernel.interrupt()
        assert await kernel.comm(model, CLICK)
        assert await expression(kernel, "clicks") == ["done"]
    finally:
        await kernel.shutdown()


async def test_an_interrupt_asked_while_a_widget_message_is_under_way_stops_its_callback(
    tmp_path: Path,
) -> None:
    kernel = KernelSession("python3", tmp_path, ignore)
    try:
        model = await button(kernel)
        await kernel.execute("b._click_handlers.callbacks[:] = [lambda _: time.sleep(3600)]",
                             ignore, no_input)  # fmt: skip
        click = asyncio.create_task(kernel.comm(model, CLICK))
        await asyncio.sleep(0)  # the click is sent; the kernel may not have begun it yet
        await kernel.interrupt()
        assert await asyncio.wait_for(click, 60)  # the callback stopped, the kernel is idle
        assert await expression(kernel, "clicks") == []
    finally:
        await kernel.shutdown()


DROPS_ITS_REPLY = (
    "k = get_ipython().kernel\n"
    "def drop(stream, kind, *args, _send=k.session.send, **kwargs):\n"
    "    if kind != 'execute_reply':\n"
    "        return _send(stream, kind, *args, **kwargs)\n"
    "    k.session.send = _send\n"
    "    return {'content': {'status': 'ok'}}\n"
    "k.session.send = drop"
)
"""A run whose execute_reply never comes, though the kernel says it is idle: the reply goes
over the shell channel, the idle status over IOPub, and a kernel restarted (killed) in
between may never have sent it."""


class Gap:
    """A run of DROPS_ITS_REPLY on `kernel`, with `act` (a restart, a shutdown) started as
    its idle status comes: what the run saw, and how many times its wait for the reply
    polled the shell channel once `act` had begun (`kernel`'s status said so)."""

    def __init__(self, kernel: KernelSession, statuses: list[KernelStatus]) -> None:
        self.kernel, self.statuses = kernel, statuses
        self.polls_after = 0

    async def run(
        self, act: Callable[[], Awaitable[None]], acting: KernelStatus
    ) -> tuple[ExecutionOutcome, list[KernelStatus], int]:
        await self.kernel.start()
        client, acts = self.kernel._client, list[asyncio.Task[None]]()
        poll = client.get_shell_msg

        def counted(*args: Any, **kwargs: Any) -> Any:  # a poll, counted as it is asked
            self.polls_after += acting in self.statuses
            return poll(*args, **kwargs)

        def act_once_idle(message: dict[str, Any]) -> bool:
            idle = message["content"].get("execution_state") == "idle"
            ran = message["parent_header"].get("msg_type") == "execute_request"
            if idle and ran and not acts:  # the run's idle is here; its reply never comes
                acts.append(asyncio.ensure_future(act()))
            return False

        client.get_shell_msg, self.kernel.observer = counted, act_once_idle
        self.statuses.clear()
        run = self.kernel.execute(DROPS_ITS_REPLY, ignore, no_input)
        outcome = await asyncio.wait_for(run, 60)
        seen = (outcome, list(self.statuses), self.polls_after)
        await asyncio.wait_for(acts[0], 60)
        self.kernel.observer = None
        return seen


async def test_a_restart_between_a_runs_idle_and_its_reply_ends_the_run_at_once(
    tmp_path: Path,
) -> None:
    statuses: list[KernelStatus] = []
    kernel = KernelSession("python3", tmp_path, statuses.append)
    try:
        outcome, ran_until, polls = await Gap(kernel, statuses).run(kernel.restart, "restarting")
        # The run ended with its kernel, as any run a restart cuts short: its wait for a
        # reply (50 polls of 0.2 s) ended as the restart began, not once the new kernel ran.
        assert (outcome.status, outcome.ename) == ("error", "KeyboardInterrupt")
        assert polls == 0  # before: until its 50 were spent (~10 s), the restart long done
        assert ran_until == ["busy", "restarting"]
        assert statuses == ["busy", "restarting", "idle"]
        assert (await kernel.execute("k", ignore, no_input)).ename == "NameError"
    finally:
        await kernel.shutdown()


async def test_a_shutdown_between_a_runs_idle_and_its_reply_ends_the_run_with_it(
    tmp_path: Path,
) -> None:
    statuses: list[KernelStatus] = []
    kernel = KernelSession("python3", tmp_path, statuses.append)
    try:
        outcome, _, polls = await Gap(kernel, statuses).run(kernel.shutdown, "not started")
        assert (outcome.status, outcome.ename) == ("error", "KeyboardInterrupt")
        assert polls == 0
        assert statuses == ["busy", "not started"]  # the run never says the kernel is idle
    finally:
        await kernel.shutdown()
