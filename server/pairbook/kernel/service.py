"""KernelService: the room's shared kernel as a room service — its command rows (each calls
a Runner method), and the runner's life (its worker runs in the room's task group; a room
that unloads hands its live kernel over with `detach`; closing shuts the kernel down)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from pairbook.auth import Role
from pairbook.flag import Flag
from pairbook.kernel.introspection import Introspection, Reachable, check_code
from pairbook.kernel.kept import KeptKernel
from pairbook.kernel.runner import Runner
from pairbook.service import Arg, ArgType, Command, CommandTable, Member

Body = dict[str, Any]

WARM_UP_QUIET = 1.0
"""Seconds without a run a new kernel waits before its completion warm-up: the warm-up
takes the kernel's CPU for seconds (jedi loads and parses the stubs in the subshell's
thread), and runs made meanwhile share the GIL with it (a trivial run took 30-90 ms instead
of 6 while it lasted), so a burst of runs after the start goes first."""


STARTING_WAIT = 10.0
"""Seconds a completion or inspection asked while a run starts the kernel waits for it."""
COMING_UP = ("not started", "starting", "restarting")


class KernelService:
    """One room's kernel: answers the kernel commands through its runner."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.introspection = Introspection()
        self.commands = TABLE.bind(self)

    @property
    def wanted(self) -> Flag:
        """Set once the runner is needed: the room starts `run` then, not when it opens."""
        return self.runner.needed

    async def run(self) -> None:
        """The runner's worker and the completion warm-up, forever, once the runner is
        needed (nothing before that): owned by the room's task group."""
        await self.runner.needed.wait()
        async with asyncio.TaskGroup() as group:
            group.create_task(self.runner.run())
            group.create_task(self._warm_up())

    async def _warm_up(self) -> None:
        """Each kernel that starts is asked a first completion, silently, once no run has
        been under way or waiting for `WARM_UP_QUIET` seconds: the first loads jedi and
        parses the standard library's stubs (seconds), which the first person to press Tab
        would otherwise wait for. A kernel someone asked a completion of meanwhile is warm
        already: asked again, the warm-up would only hold up their next Tab or Shift-Tab."""
        while True:
            await self.runner.activity.ready.wait()
            self.runner.activity.ready.clear()
            asked = self.introspection.completions
            await self._quiet()
            if self.introspection.completions == asked:
                await self._warm_up_once()

    async def _quiet(self) -> None:
        """Return once no run has been under way or waiting for `WARM_UP_QUIET` s (a
        matter of time passing, not of an event: it looks again when it could be over)."""
        while True:
            left = WARM_UP_QUIET - self.runner.activity.quiet_for(self.runner.busy)
            if left <= 0:
                return
            await asyncio.sleep(left)

    async def _warm_up_once(self) -> None:
        """Warm the kernel up, unless another kernel is ready first: restarted mid-way,
        the kernel asked is gone and never answers (the warm-up held the introspection lock
        for its 60 s timeout then, and everyone's first Tab waited behind it)."""
        warming = asyncio.ensure_future(self.introspection.warm_up(self.runner.session))
        restarted = asyncio.ensure_future(self.runner.activity.ready.wait())
        try:
            await asyncio.wait((warming, restarted), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (warming, restarted):
                task.cancel()
            await asyncio.gather(warming, restarted, return_exceptions=True)

    async def start(self) -> None:
        """The kernel starts on the first run, not when the room opens; what the document
        shows of it is made true before anyone joins (a kernel the document shows live but
        no longer runs is shown stopped), so no peer syncs a stale status."""
        await self.runner.life.announce()

    @property
    def busy(self) -> bool:
        """Whether a run is under way or queued."""
        return self.runner.busy

    def detach(self) -> KeptKernel | None:
        """The live kernel, handed over to outlive the room (None: no kernel runs); call
        with the worker stopped, and not `close` after it."""
        self.introspection.forget()
        return self.runner.detach()

    async def close(self) -> None:
        """Shut the kernel down (the server stops, or a room is dropped mid-run)."""
        await self.introspection.close()
        await self.runner.close()


async def kernels(kernel: KernelService, member: Member, body: Body) -> Body:
    return kernel.runner.kernels()


async def run(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.run_cells(member, list(body["cells"]))


async def run_all(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.run_all(member)


async def run_above(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.run_above(member, body["cell"])


async def run_below(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.run_below(member, body["cell"])


async def cancel(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.cancel(member, str(body.get("execution") or ""))


async def interrupt(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.interrupt(member)


def runs_theirs(kernel: KernelService, member: Member) -> bool:
    """Whether the run the kernel executes now is this member's (an interrupt stops only it)."""
    current = kernel.runner.current
    return current is not None and current.user["id"] == member.user.id


async def restart(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.restart(member)


async def shutdown(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.shutdown(member)


async def input_reply(kernel: KernelService, member: Member, body: Body) -> Body:
    execution, value = str(body.get("execution")), str(body.get("value") or "")
    return await kernel.runner.answer_input(member, execution, value)


async def set_kernel(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.set_kernel(member, str(body["kernel"]))


async def refresh_state(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.refresh_state()


async def packages(kernel: KernelService, member: Member, body: Body) -> Body:
    return await kernel.runner.packages()


def _busy(kernel: KernelService) -> bool:
    """Whether a run is under way or waiting (and so starts the kernel, if none runs)."""
    return kernel.runner.current is not None or bool(len(kernel.runner.queue))


async def _busy_once_up(kernel: KernelService) -> bool:
    """Wait, up to STARTING_WAIT, while a run under way or waiting starts the kernel (as
    JupyterLab's completer waits for a starting kernel); then whether a run is busy."""
    runner = kernel.runner
    session = runner.session
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(STARTING_WAIT):
            while (
                isinstance(session, Reachable)
                and session.connection_info() is None
                and session.status in COMING_UP
                and _busy(kernel)
            ):
                await asyncio.shield(runner.activity.next_status())
    return _busy(kernel)


async def complete(kernel: KernelService, member: Member, body: Body) -> Body:
    busy = await _busy_once_up(kernel)
    return await kernel.introspection.complete(
        kernel.runner.session, body["code"], body["cursor_pos"], busy=busy
    )


async def inspect(kernel: KernelService, member: Member, body: Body) -> Body:
    busy, level = await _busy_once_up(kernel), int(body.get("detail_level") or 0)
    return await kernel.introspection.inspect(
        kernel.runner.session, body["code"], body["cursor_pos"], level, busy=busy
    )


async def widget(kernel: KernelService, member: Member, body: Body) -> Body:
    state, custom, echo = body.get("state"), body.get("custom"), body.get("echo")
    kernel.runner.widgets.change(member, body["model"], state, custom, echo)
    return {"model": body["model"], "queued": True}


CONTROL = "viewers cannot run cells or control the kernel"
EDITOR = Role.EDITOR
CELL = Arg("cell", ArgType.STRING, doc="the id of a cell in this notebook")
EXECUTION = Arg("execution", ArgType.STRING, required=False, doc="the id of a run")
CODE = Arg("code", ArgType.STRING, validator=check_code, doc="the cell's source")
CURSOR = Arg("cursor_pos", ArgType.INTEGER, doc="the cursor's offset in code points")
LEVEL = Arg("detail_level", ArgType.INTEGER, required=False,
            validator=lambda v: None if v in (0, 1) else "detail_level is 0 or 1",
            doc="0 (signature and docstring) or 1 (also the source)")  # fmt: skip

TABLE = CommandTable.of(
    "kernel",
    [
        Command("kernels", kernels, recorded=False),
        Command("run", run, role=EDITOR, refusal=CONTROL, driver_only=True,
                args=(Arg("cells", ArgType.STRINGS, doc="a list of cell ids"),)),
        Command("run-all", run_all, role=EDITOR, refusal=CONTROL, driver_only=True),
        Command("run-above", run_above, role=EDITOR, refusal=CONTROL, driver_only=True,
                args=(CELL,)),
        Command("run-below", run_below, role=EDITOR, refusal=CONTROL, driver_only=True,
                args=(CELL,)),
        # Who queued the run, or the owner (the runner checks), in either mode. Stopping the
        # kernel in mob mode: the driver, the owner, and (interrupt: `own`) the person whose
        # run the kernel executes, by the runner's word (the document's `current` lags it).
        Command("cancel", cancel, role=EDITOR, refusal=CONTROL, args=(EXECUTION,)),
        Command("interrupt", interrupt, role=EDITOR, refusal=CONTROL, control=True,
                own=runs_theirs),
        Command("restart", restart, role=EDITOR, refusal=CONTROL, control=True),
        Command("shutdown", shutdown, role=EDITOR, refusal=CONTROL, control=True),
        Command("input-reply", input_reply, role=EDITOR, refusal=CONTROL,
                args=(EXECUTION, Arg("value", ArgType.STRING, required=False,
                                     doc="the answer to input()"))),
        Command("set-kernel", set_kernel, role=Role.OWNER, driver_only=True,
                refusal="only the owner can change the room's kernel",
                args=(Arg("kernel", ArgType.STRING, doc="the name of an installed kernel"),)),
        Command("refresh-state", refresh_state, role=EDITOR, refusal=CONTROL),
        Command("packages", packages, role=EDITOR, refusal=CONTROL),
        # Answered to the asker only. Completion edits (where one may edit: the driver in
        # mob mode); inspection reads, as the kernel-state panel does, so viewers may.
        Command("complete", complete, role=EDITOR, driver_only=True, recorded=False,
                refusal="viewers cannot edit, so they get no completions",
                args=(CODE, CURSOR)),
        Command("inspect", inspect, recorded=False, args=(CODE, CURSOR, LEVEL)),
        # Answered at once (queued); the widget-echo event follows once the kernel took it.
        # Noted in the timeline once per change the kernel took (several merge while it is
        # busy), with who asked: not once per command.
        Command("widget", widget, role=EDITOR, driver_only=True, recorded=False,
                refusal="viewers see widgets but cannot change them",
                args=(Arg("model", ArgType.STRING, doc="the widget model's id"),
                      Arg("state", ArgType.OBJECT, required=False,
                          doc="the state keys that changed, with their new values"),
                      Arg("custom", ArgType.OBJECT, required=False,
                          doc="a custom message to the widget (a button's click)"),
                      Arg("echo", ArgType.STRING, required=False,
                          doc="an id of the page's choosing: the widget-echo event names it "
                              "once the kernel took the change"))),
    ],
)  # fmt: skip
