"""Runner: the room's shared kernel, its queue, and one method per kernel command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from pairbook.auth import Role
from pairbook.flag import Flag
from pairbook.kernel.activity import Activity
from pairbook.kernel.batches import (
    both,
    forget_stopped,
    interrupt_batch,
    stop_batch,
    write_stopped,
)
from pairbook.kernel.culling import ALIVE_SECONDS
from pairbook.kernel.executor import Executor
from pairbook.kernel.kept import KeptKernel, stop_reason, stop_record
from pairbook.kernel.kernelmap import KernelMap
from pairbook.kernel.life import KernelLife
from pairbook.kernel.outputstream import FLUSH_SECONDS
from pairbook.kernel.ports import Kernel, KernelFactory, RunnerRoom
from pairbook.kernel.probing import PROBE_SECONDS, Prober
from pairbook.kernel.prompts import Prompts
from pairbook.kernel.queue import Execution, ExecutionQueue, ExecutionStatus
from pairbook.kernel.session import KernelStatus
from pairbook.kernel.widgetdoc import live_models
from pairbook.kernel.widgets import Widgets
from pairbook.notebook.outputs import cell_ids, code_cell_source, find_ycell
from pairbook.schema import KernelStopRecord
from pairbook.service import Member
from pairbook.state.view import ANALYSE_DELAY, StateView

log = logging.getLogger("pairbook.runner")

PACKAGES_DELAY = 1.0  # idle seconds after new imports before their packages are looked up
PACKAGES_TRIES = 60  # looks, PACKAGES_DELAY apart, while the kernel indexes its packages


class Runner:
    """Everyone in a room shares one kernel. Runs are queued in request order, attributed
    to whoever asked, and their outputs stream into the document as they arrive.

    `run()` is the worker (owned by the room's task group); the command methods (one per
    kernel command, called by KernelService's rows once the table has checked the role
    and the arguments) may be called at any time; `close()` ends the kernel."""

    def __init__(
        self,
        room: RunnerRoom,
        kernels: KernelFactory,
        kernel_name: str,
        *,
        output_limit: int = 1_000_000,
        kernel_state: bool = True,
        clock: Callable[[], float] = time.time,
        flush_seconds: float = FLUSH_SECONDS,
        probe_seconds: float = PROBE_SECONDS,
        packages_delay: float = PACKAGES_DELAY,
        analyse_delay: float = ANALYSE_DELAY,
        kept: KeptKernel | None = None,
        cull_after: float | None = None,
        stopped: KernelStopRecord | None = None,
        alive_seconds: float = ALIVE_SECONDS,
    ) -> None:
        self.room = room
        self._kernels = kernels
        self._packages_delay = packages_delay
        self.queue = ExecutionQueue(clock)
        self._map = KernelMap(room, self.queue, clock)
        self._map.specs = kernels.specs()
        self.life = KernelLife(self, kept=kept, stopped=stopped, cull_after=cull_after,
                               alive_seconds=alive_seconds, clock=clock)  # fmt: skip
        self.life.relay.target = self._on_status
        self.session: Kernel = (
            kept.session if kept else kernels(kernel_name or "python3", self.life.relay)
        )
        # The kernel-state view (None: turned off).
        self.state = StateView(room, clock, delay=analyse_delay) if kernel_state else None
        self._prober = Prober(room, self.state, clock=clock, probe_seconds=probe_seconds)
        self._prompts = Prompts(room, self._map.publish)
        self._executor = Executor(
            room=room,
            kernel_map=self._map,
            prober=self._prober,
            prompts=self._prompts,
            output_limit=output_limit,
            clock=clock,
            flush_seconds=flush_seconds,
        )
        # The kernel's widgets: changes reach it between runs (the prober's lock); while
        # people move them, the idle package lookup waits (it would hold the kernel ~1 s).
        self.widgets = Widgets(room, lambda: self.session, self._prober.lock, clock,
                               on_asked=self._wake)  # fmt: skip
        self.session.observer = self.widgets.observe
        self._clock = clock
        self._wakeup = Flag()
        self._status_changed = Flag()
        self.activity = Activity()  # the completion warm-up's timing
        self._last_started: Execution | None = None  # the batch in progress between its runs
        self._in_run = False  # from a run's start to its end's edits
        self.life.restore()
        self.needed = Flag()  # the worker has work; until then it keeps no loops
        if self.life.has_news() or live_models(room.doc):  # a kernel's truth, old widgets
            self.needed.set()

    @property
    def current(self) -> Execution | None:
        """The run the kernel is busy with."""
        return self._map.current

    # The parts the kernel's life (`KernelLife`) works with.
    @property
    def kernel_map(self) -> KernelMap:
        return self._map

    @property
    def prober(self) -> Prober:
        return self._prober

    @property
    def executor(self) -> Executor:
        return self._executor

    # -- commands ------------------------------------------------------------------------

    def kernels(self) -> dict[str, Any]:
        """The installed kernels and the room's current one."""
        self._map.specs = self._kernels.specs()
        return {"kernels": self._map.specs, "current": self.session.kernel_name}

    async def run_cells(self, member: Member, cells: list[str]) -> dict[str, Any]:
        """Queue these cells' runs for this member (markdown and raw cells are skipped);
        several runs are one batch, which stops at its first failing run."""
        runnable = []
        for cell_id in cells:
            ycell = find_ycell(self.room.doc, cell_id)
            if ycell is None:
                raise ValueError(f"no cell {cell_id!r} in this notebook")
            if code_cell_source(ycell) is not None:
                runnable.append(cell_id)
        user = member.user.to_record()
        waiting = len(self.queue)
        queued = self.queue.push_batch(runnable, user, member.key)
        self._wake()
        forget = forget_stopped(member.user.id) if len(queued) > 1 else None
        # Queued runs have a record from the start. A worker with nothing to do starts the
        # first one at once, and its start's edit (flushed then) carries these records too.
        free = not (self._in_run or self._prober.lock.locked() or waiting)
        await self._map.publish(*queued, also=forget, soon=not (free and queued))
        return {"queued": [e.id for e in queued]}

    async def run_all(self, member: Member) -> dict[str, Any]:
        return await self.run_cells(member, cell_ids(self.room.doc))

    async def run_above(self, member: Member, cell: str) -> dict[str, Any]:
        """Queue the cells above `cell` (not itself)."""
        ids = cell_ids(self.room.doc)
        return await self.run_cells(member, ids[: self._index(ids, cell, "run-above")])

    async def run_below(self, member: Member, cell: str) -> dict[str, Any]:
        """Queue `cell` and the cells below it."""
        ids = cell_ids(self.room.doc)
        return await self.run_cells(member, ids[self._index(ids, cell, "run-below") :])

    @staticmethod
    def _index(ids: list[str], cell: str, command: str) -> int:
        if cell not in ids:
            raise ValueError(f"{command} needs 'cell': the id of a cell in this notebook")
        return ids.index(cell)

    async def cancel(self, member: Member, execution_id: str) -> dict[str, Any]:
        """Take a waiting run out of the queue: the person who queued it, or the owner."""
        waiting = next((e for e in self.queue if e.id == execution_id), None)
        if waiting is None:
            raise ValueError("that run is not waiting in the queue (it may have started)")
        if waiting.user["id"] != member.user.id and member.role is not Role.OWNER:
            raise PermissionError("only the person who queued a run, or the owner, can cancel it")
        cancelled = self.queue.cancel(execution_id)
        assert cancelled is not None
        cancelled.extra["cancelled_by"] = member.user.id
        await self._map.publish(cancelled)
        return {"cancelled": execution_id}

    async def interrupt(self, member: Member) -> dict[str, Any]:
        """KeyboardInterrupt in the running cell: its batch stops there, as in Jupyter (an
        interrupt between two runs of a batch stops the batch); other requests' runs stay
        queued and run."""
        if self.current is None and self.widgets.busy:  # a widget's callback runs
            await self.session.interrupt()
            await self._map.note_event("interrupt", member, self.session)
            return {"interrupted": None, "widget": True}
        if self.current is None:
            stopped = await self._stop_between_runs(member)
            return {"interrupted": None, "cancelled": stopped} if stopped else {"interrupted": None}
        interrupted = self.current.id  # the run may end while the event is written
        await self.session.interrupt()
        await self._map.note_event("interrupt", member, self.session)
        return {"interrupted": interrupted}

    async def restart(self, member: Member) -> dict[str, Any]:
        """A fresh kernel process: queued runs are dropped, the namespace view cleared."""
        self._prober.forget()
        dropped = self.queue.clear(f"the kernel was restarted by {member.user.name}")
        await self._map.publish(*dropped)
        await self._map.note_event("restart", member, self.session)
        if self.current is not None:
            await self.session.interrupt()
        self._prober.abandon()
        await self.session.restart()
        await self._prober.reset()
        return {"restarted": True, "cancelled": [e.id for e in dropped]}

    async def shutdown(self, member: Member) -> dict[str, Any]:
        """Stop the kernel (the next run starts it again); queued runs are dropped. The
        kernel-state view stays, marked as from a kernel that is gone, until one starts."""
        why = stop_record("shutdown", self._clock(), by=member.user.to_record())
        dropped = await self.life.stop(why)
        await self._map.note_event("shutdown", member, self.session)
        return {"cancelled": [e.id for e in dropped]}

    async def answer_input(self, member: Member, execution_id: str, value: str) -> dict[str, Any]:
        """Answer the stdin prompt of a run this member started."""
        self._prompts.answer(member, execution_id, value)
        return {"sent": True}

    async def set_kernel(self, member: Member, kernel_name: str) -> dict[str, Any]:
        """Replace the room's kernel with another installed one."""
        self._map.specs = self._kernels.specs()
        if kernel_name not in self._map.specs:
            installed = sorted(self._map.specs)
            raise ValueError(f"no kernel named {kernel_name!r}; installed: {installed}")
        self._prober.forget()
        self._prober.abandon()
        await self.session.shutdown()
        self.session = self._kernels(kernel_name, self.life.relay)
        self.session.observer = self.widgets.observe
        await self._prober.reset()
        await self._map.note_event("set-kernel", member, self.session)
        return {"kernel": kernel_name}

    async def refresh_state(self) -> dict[str, Any]:
        """Probe the namespace now (between runs); a busy kernel refreshes after its run."""
        return await self._prober.refresh(self.session, running=self._running)

    async def packages(self) -> dict[str, Any]:
        return {"packages": await self.refresh_packages()}

    async def refresh_packages(self) -> list[dict[str, Any]]:
        """The imported modules' distributions (the last known when busy or stopped)."""
        return await self._prober.packages(self.session, running=self._running) or []

    @property
    def _running(self) -> bool:
        """Whether a run is under way or waiting (a probe alone holding the kernel is not)."""
        return self.current is not None or bool(len(self.queue)) or self._in_run

    # -- the worker ----------------------------------------------------------------------

    def _wake(self) -> None:
        """Something for the worker: a run queued, a widget change for the kernel."""
        self.needed.set()
        self._wakeup.set()

    async def run(self) -> None:
        """Run queued executions one at a time and keep the kernel map current, forever;
        owned by the room's task group. It starts once it is `needed`: a room nobody runs
        a cell in held a dozen idle tasks, timers and task groups for its kernel."""
        await self.needed.wait()
        await self.life.announce()
        async with asyncio.TaskGroup() as group:
            group.create_task(self._run_queue())
            group.create_task(self._keep_status())
            group.create_task(self.widgets.run())
            for watch in self.life.watches():
                group.create_task(watch)
            if self.state is not None:
                group.create_task(self.state.keep_current())

    async def _keep_status(self) -> None:
        while True:
            await self._status_changed.wait()
            self._status_changed.clear()
            if self._in_run and self.session.status in ("busy", "idle"):
                continue  # the run's own start and end edits write these, in the same edit
            try:
                await self._map.write_kernel(self.session)
            except Exception:
                log.exception("kernel status write failed", extra={"room": self.room.id})

    async def _run_queue(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while await self._run_next():
                pass
            if self._prober.new_modules:
                await self._look_up_packages()

    async def _run_next(self) -> bool:
        """Run the first queued run, if any. It leaves the queue only once the kernel is
        free (a probe may hold it): until then it is shown queued, and an interrupt that
        stops its batch, or its requester, can still cancel it."""
        if self._prober.lock.locked():
            self._map.flush()  # a run staged for its start shows queued while it waits
        async with self._prober.lock:
            execution = self.queue.pop()
            if execution is None:
                return False
            try:
                await self._execute(execution)
            except Exception:
                log.exception("run failed", extra={"room": self.room.id, "run": execution.id})
                self._map.current = None
                self._map.flush()  # what its start staged, and whoever waits for it
        return True

    async def _execute(self, execution: Execution) -> None:
        self._in_run = True
        try:
            await self._run_one(execution)
        finally:
            self._in_run = False
            self.activity.run_ended()

    async def _run_one(self, execution: Execution) -> None:
        if not self.session.started and self.state is not None and self.state.has_leftovers():
            # A new kernel has an empty namespace: clear what the one that is gone left.
            await self._prober.reset()
        self._last_started = execution
        view = await self._executor.execute(self.session, execution)
        died = execution.status is ExecutionStatus.DEAD
        dropped = self.queue.clear(stop_reason(stop_record("died", None))) if died else []
        cells = cell_ids(self.room.doc)
        stopped, note = stop_batch(self.queue, execution, cells, self._clock())
        also = both(view, write_stopped(note))
        # Logged and relayed while the kernel takes the next run (or a probe): nothing here
        # waits for it.
        self._map.stage(execution, *dropped, *stopped, also=also, kernel=self.session)
        self._map.flush()
        if execution.status is ExecutionStatus.DEAD:  # its sockets go: the next run starts anew
            await self.life.stop(stop_record("died", self._clock()))
        self.life.cull.touch()  # idle from now on, unless another run follows

    async def _stop_between_runs(self, member: Member) -> list[str]:
        """An interrupt while the kernel is between two runs of a batch stops that batch."""
        last = self._last_started
        if last is None:
            return []
        cells = cell_ids(self.room.doc)
        stopped, note = interrupt_batch(self.queue, last, member.user.name, cells, self._clock())
        if not stopped:
            return []
        await self._map.publish(*stopped, also=write_stopped(note))
        await self._map.note_event("interrupt", member, self.session)
        return [e.id for e in stopped]

    async def _look_up_packages(self) -> None:
        """New imports: look up their distributions once the kernel has been idle a moment
        (a run asked for meanwhile goes first), and again while the kernel indexes them."""
        for _ in range(PACKAGES_TRIES):
            # Not wait_for: it waits in a task of its own, so a run request would reach this
            # worker only a few loop turns later, after the request's own edit was made.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._packages_delay):
                    await self._wakeup.wait()
            if self._wakeup.is_set():
                return
            if await self._prober.look_up_packages(self.session, running=self._running):
                return

    def _on_status(self, status: KernelStatus) -> None:
        self.activity.on_status(status)
        self.life.on_status(status)
        self.widgets.on_status(status)
        self._status_changed.set()
        self.needed.set()  # a kernel started (a run, a completion, a restart): watch it

    @property
    def busy(self) -> bool:
        """Whether a run is under way or waiting, or the kernel is stopping (the room stays
        loaded meanwhile)."""
        return self._running or self.life.stopping  # a run's end's edits too

    def detach(self) -> KeptKernel | None:
        """Hand the live kernel over to outlive the room (None: no kernel runs)."""
        return self.life.detach()

    async def close(self) -> None:
        """Shut the kernel down (the server stops)."""
        await self.life.close()
