"""KernelMap: what the room's kernel is doing, published in the `kernel` and `executions`
top-level maps (name, status, last event, queue, current run, each run's record)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, Map

from pairbook.kernel.ports import Kernel, RunnerRoom
from pairbook.kernel.queue import Execution, ExecutionQueue
from pairbook.kernel.session import KernelStatus
from pairbook.schema import (
    EXECUTIONS_MAP,
    KERNEL_MAP,
    KernelEventRecord,
    KernelRecord,
    KernelStopRecord,
)
from pairbook.service import Member
from pairbook.state.view import Write
from pairbook.types import SERVER_USER

log = logging.getLogger("pairbook.runner")

LIVE: frozenset[str] = frozenset({"starting", "idle", "busy", "restarting"})


def shown_packages(doc: Doc[Any]) -> tuple[list[dict[str, Any]], bool]:
    """The packages the document shows for the kernel (as its runner last wrote them), and
    whether it shows the kernel running: for a process that does not run the room's kernel
    (another process owns the room)."""
    kernel = doc.get(KERNEL_MAP, type=Map)
    packages = kernel.get("packages")
    return (list(packages) if isinstance(packages, list) else []), kernel.get("status") in LIVE


"""The statuses of a kernel that is there."""


class KernelMap:
    """Writes the runner's state into the document: `publish` after the queue or a run
    changed, `write_kernel` after the kernel's status did (`note_status` first), `note_event`
    for a control command (interrupt, restart, ...).

    Writes are staged and made together in the event loop's next turn, or at once by
    `flush`: a run's bookkeeping (queued, running, the kernel busy) is one edit, not one
    per change, since each edit is a log record and an update relayed to every peer."""

    def __init__(
        self, room: RunnerRoom, queue: ExecutionQueue, clock: Callable[[], float] = time.time
    ) -> None:
        self._room = room
        self._queue = queue
        self._clock = clock
        self.current: Execution | None = None  # the run the kernel is busy with
        self.specs: dict[str, str] = {}  # installed kernels: name -> display name
        self.last_event: KernelEventRecord | None = None
        self.stopped: KernelStopRecord | None = None  # why the last kernel stopped
        self.started_at: float | None = None  # when the current kernel started
        self.cull_at: float | None = None  # when the idle cull stops the kernel
        self._staged = _Staged()
        self._flushing: asyncio.Handle | None = None

    def load(self, doc: Any) -> str | None:
        """Take the last event and stop over from the document (the room reloaded); the
        status the document last showed."""
        ykernel = doc.get(KERNEL_MAP, type=Map)
        event, stopped = ykernel.get("last_event"), ykernel.get("stopped")
        self.last_event = dict(event) if isinstance(event, dict) else None  # type: ignore[assignment]
        self.stopped = dict(stopped) if isinstance(stopped, dict) else None  # type: ignore[assignment]
        status = ykernel.get("status")
        return status if isinstance(status, str) else None

    def note_status(self, status: KernelStatus) -> None:
        """Follow the kernel's life: when one starts, when one dies."""
        if status in ("starting", "restarting") or (status in LIVE and self.started_at is None):
            self.started_at = self._clock()
            self.stopped = None
        elif status == "dead":
            self.started_at = None
            self.stopped = {"reason": "died", "by": None, "at": self._clock(), "idle_for": None}
        elif status == "not started":
            self.started_at = None

    async def warn_cull(self, at: float | None, kernel: Kernel) -> None:
        """Say when the idle cull will stop the kernel (None: it will not)."""
        if self.cull_at != at:
            self.cull_at = at
            await self.write_kernel(kernel)

    def status_of(self, kernel: Kernel) -> str:
        """The status the page shows: `stopped` for a kernel that ran and is gone."""
        gone = kernel.status in ("not started", "dead") and self.stopped is not None
        return "stopped" if gone else kernel.status

    async def note_event(self, kind: str, member: Member, kernel: Kernel) -> None:
        self.last_event = {"kind": kind, "by": member.user.to_record(), "at": self._clock()}
        await self.write_kernel(kernel)

    async def write_kernel(self, kernel: Kernel) -> None:
        """Write the kernel's name, status and life (with the next edit of these maps)."""
        await self.stage(kernel=kernel)

    async def publish(
        self, *executions: Execution, also: Write | None = None, soon: bool = True
    ) -> None:
        """Write the queue, the current run and these runs' records (with `also`, another
        write to pairbook's maps, such as the kernel-state view), with the next edit of
        these maps; returns once that edit is logged and relayed."""
        await self.stage(*executions, also=also, soon=soon)

    def stage(
        self,
        *executions: Execution,
        also: Write | None = None,
        kernel: Kernel | None = None,
        soon: bool = True,
    ) -> asyncio.Future[int | None]:
        """Stage writes for the next edit of these maps, made in the event loop's next turn
        (`soon`) or whenever `flush` is called next (not `soon`: the caller knows one is
        coming): everything staged until then is one transaction, one log record, one
        relayed update. The future is done once that edit is logged and relayed (with the
        error `also` raised, if it did)."""
        for execution in executions:
            self._staged.records[execution.id] = execution
        if kernel is not None:
            self._staged.kernel = kernel
        waiter: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._staged.writes.append((also, waiter))
        if soon and self._flushing is None:
            self._flushing = asyncio.get_running_loop().call_soon(self.flush)
        return waiter

    def flush(self) -> None:
        """Make the staged writes now, as one protected server edit (logged and relayed in
        the background, in order with every other change)."""
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None
        staged, self._staged = self._staged, _Staged()
        if not staged.writes:
            return
        failed: dict[int, BaseException] = {}
        write = self._write(staged, failed)
        try:
            committed = self._room.start_server_edit(write, SERVER_USER, protected=True)
        except Exception as exc:  # not an `also`'s: the queue's or records' own write failed
            log.exception("kernel map edit failed", extra={"room": self._room.id})
            committed = None
            failed.update((index, exc) for index in range(len(staged.writes)))
        for index, (_, waiter) in enumerate(staged.writes):
            if index in failed:
                _fail(waiter, failed[index])
            elif committed is None:
                waiter.set_result(None)
            else:
                _chain(committed, waiter)

    def _write(self, staged: _Staged, failed: dict[int, BaseException]) -> Write:
        waiting = [e.to_json() for e in self._queue]
        current = self.current.to_json() if self.current else None
        records = {key: {**e.to_json(), **e.extra} for key, e in staged.records.items()}
        state = None if staged.kernel is None else self._kernel_record(staged.kernel)

        def write(doc: Any) -> None:
            ykernel = doc.get(KERNEL_MAP, type=Map)
            if ykernel.get("queue") != waiting:
                ykernel["queue"] = waiting
            if ykernel.get("current") != current:
                ykernel["current"] = current
            for key, value in (state or {}).items():  # every key, None included
                if key not in ykernel or ykernel.get(key) != value:
                    ykernel[key] = value
            if records:
                yexecutions = doc.get(EXECUTIONS_MAP, type=Map)
                for execution_id, record in records.items():
                    yexecutions[execution_id] = record
            for index, (also, _) in enumerate(staged.writes):
                if also is None:
                    continue
                try:
                    also(doc)
                except Exception as exc:  # its caller gets it; the others' writes stand
                    log.exception("kernel map write failed", extra={"room": self._room.id})
                    failed[index] = exc

        return write

    def _kernel_record(self, kernel: Kernel) -> KernelRecord:
        name = kernel.kernel_name
        return {
            "name": name,
            "display_name": self.specs.get(name, name),
            "status": self.status_of(kernel),
            "last_event": self.last_event,
            "stopped": self.stopped,
            "started_at": self.started_at,
            "cull_at": self.cull_at,
        }


@dataclass(slots=True)
class _Staged:
    """The writes waiting for the next edit of the kernel and executions maps."""

    records: dict[str, Execution] = field(default_factory=dict)
    kernel: Kernel | None = None
    writes: list[tuple[Write | None, asyncio.Future[int | None]]] = field(default_factory=list)


def _fail(waiter: asyncio.Future[int | None], error: BaseException) -> None:
    if not waiter.done():
        waiter.set_exception(error)
        waiter.add_done_callback(lambda future: future.exception())  # logged already


def _chain(committed: asyncio.Future[int | None], waiter: asyncio.Future[int | None]) -> None:
    def settle(done: asyncio.Future[int | None]) -> None:
        if waiter.done():
            return
        if done.cancelled():
            waiter.cancel()
        elif (error := done.exception()) is not None:
            _fail(waiter, error)
        else:
            waiter.set_result(done.result())

    committed.add_done_callback(settle)
