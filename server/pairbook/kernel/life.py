"""KernelLife: the room's kernel beyond its runs — taken back from the room's last load,
handed over when the room unloads, stopped (by a person, the idle cull, its death, the
server) and always saying so in the kernel map."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from pairbook.kernel.culling import ALIVE_SECONDS, IdleCull, watch_alive
from pairbook.kernel.kept import (
    KeptKernel,
    StatusRelay,
    ViewMemory,
    let_go,
    stop_reason,
    stop_record,
)
from pairbook.kernel.kernelmap import LIVE
from pairbook.kernel.queue import Execution
from pairbook.kernel.session import KernelStatus
from pairbook.schema import KernelStopRecord

if TYPE_CHECKING:
    from pairbook.kernel.runner import Runner

log = logging.getLogger("pairbook.runner")


class KernelLife:
    """One runner's side of its kernel's life; the runner's parts are read when needed (the
    session changes with `set-kernel`)."""

    def __init__(
        self,
        runner: Runner,
        *,
        kept: KeptKernel | None = None,
        stopped: KernelStopRecord | None = None,
        cull_after: float | None = None,
        alive_seconds: float = ALIVE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._runner = runner
        self.kept = kept  # the live kernel this room's last runner handed over
        self._stop_note = stopped  # or how that kernel stopped after the room unloaded
        self._alive_seconds = alive_seconds
        self._clock = clock
        self.stopping = False  # a stop is under way: the room waits for it before unloading
        self._shown: str | None = None  # the status the document showed when the room loaded
        self._announced = False
        self.relay = kept.relay if kept is not None else StatusRelay()
        self.cull = IdleCull(cull_after, clock, idle_since=kept.idle_since if kept else None)

    def on_status(self, status: KernelStatus) -> None:
        self._runner.kernel_map.note_status(status)
        self.cull.touch()

    def watches(self) -> list[Coroutine[Any, Any, None]]:
        """The loops to run beside the worker: the idle cull and the death watch."""
        return [
            self.cull.watch(self._idle, self._warn_cull, self._cull_idle),
            watch_alive(self._quiet, self._alive, self._died, self._alive_seconds),
        ]

    def has_news(self) -> bool:
        """Whether `announce` has something to write: a kept kernel taken back, or a kernel
        the document shows that stopped (or went with the server)."""
        return self.kept is not None or self._stop_note is not None or self._shown in LIVE

    async def announce(self) -> None:
        """The kernel's truth when the room loads: the kept kernel it took back, or, when
        the document shows a kernel this server does not have, that it stopped. Once: the
        service announces as the room opens, before anyone joins; the worker then again."""
        if self._announced:
            return
        self._announced = True
        runner, kernel_map = self._runner, self._runner.kernel_map
        shown = self._shown
        if self.kept is not None:
            kernel_map.started_at, kernel_map.stopped = self.kept.started_at, None
        elif self._stop_note is not None:
            kernel_map.stopped = self._stop_note
        elif shown in LIVE:
            kernel_map.stopped = stop_record("server", None)
        else:
            return
        await kernel_map.write_kernel(runner.session)

    def restore(self) -> None:
        """Take over what the document says of the kernel, and what the last runner knew of
        the kept kernel (when the runner is made: a command may come before `announce`)."""
        kept, runner = self.kept, self._runner
        self._shown = runner.kernel_map.load(runner.room.doc)
        if kept is None:
            return
        runner.kernel_map.last_event = kept.last_event
        runner.kernel_map.started_at = kept.started_at
        runner.executor.displays.update(kept.displays)
        runner.prober.modules_seen = kept.modules_seen
        if runner.state is not None and kept.view is not None:
            kept.view.recall(runner.state)

    async def stop(self, why: KernelStopRecord) -> list[Execution]:
        """Shut the kernel down, dropping the queue, and say why; the dropped runs."""
        runner = self._runner
        self.stopping = True
        try:
            dropped = runner.queue.clear(stop_reason(why))
            await runner.kernel_map.publish(*dropped)
            runner.prober.forget()
            runner.prober.abandon()
            await runner.session.shutdown()
            runner.kernel_map.stopped, runner.kernel_map.cull_at = why, None
            await runner.kernel_map.write_kernel(runner.session)
        finally:
            self.stopping = False
        return dropped

    def detach(self) -> KeptKernel | None:
        """Hand the live kernel over, with what the runner knows of it (the room unloads
        with its worker stopped); None if no kernel runs. The runner is done after it."""
        runner = self._runner
        if runner.state is not None:
            # Even with no kernel to hand over: the view's cells observer, left, would keep
            # the unloaded room's document alive (its subscription lives in the document).
            runner.state.close()
        if not runner.session.started:
            return None
        memory = ViewMemory.of(runner.state) if runner.state is not None else None
        return KeptKernel(runner.session, self.relay, self.cull.idle_since,
                          runner.kernel_map.started_at, runner.kernel_map.last_event, memory,
                          runner.prober.modules_seen, runner.executor.displays)  # fmt: skip

    async def close(self) -> None:
        """Shut the kernel down and say the server stopped it (the server stops)."""
        runner = self._runner
        if runner.state is not None:
            runner.state.close()
        runner.queue.clear(stop_reason(stop_record("server", None)))
        if runner.session.started:
            await let_go(runner.session)  # a gateway's kernel lives on
            runner.kernel_map.stopped = stop_record("server", self._clock())
            await runner.kernel_map.write_kernel(runner.session)

    def _idle(self) -> bool:
        runner = self._runner
        # Not while it starts, restarts or was just found dead by a run: those are handled.
        return runner.session.started and runner.session.status == "idle" and not runner.busy

    def _quiet(self) -> bool:
        """Idle, and no probe talking to the kernel either."""
        return self._idle() and not self._runner.prober.lock.locked()

    async def _alive(self) -> bool:
        return await self._runner.session.alive()

    async def _died(self) -> None:
        log.warning("the kernel died while idle", extra={"room": self._runner.room.id})
        await self.stop(stop_record("died", self._clock()))

    async def _warn_cull(self, at: float | None) -> None:
        await self._runner.kernel_map.warn_cull(at, self._runner.session)

    async def _cull_idle(self, idle_for: float) -> None:
        log.info("idle kernel culled", extra={"room": self._runner.room.id})
        await self.stop(stop_record("idle", self._clock(), idle_for=idle_for))
