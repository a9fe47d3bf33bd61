"""KernelMap: what the room's kernel is doing, published in the `kernel` and `executions`
top-level maps (name, status, last event, queue, current run, each run's record)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pycrdt import Map

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

LIVE: frozenset[str] = frozenset({"starting", "idle", "busy", "restarting"})
"""The statuses of a kernel that is there."""


class KernelMap:
    """Writes the runner's state into the document: `publish` after the queue or a run
    changed, `write_kernel` after the kernel's status did (`note_status` first), `note_event`
    for a control command (interrupt, restart, ...)."""

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
        name = kernel.kernel_name
        state: KernelRecord = {
            "name": name,
            "display_name": self.specs.get(name, name),
            "status": self.status_of(kernel),
            "last_event": self.last_event,
            "stopped": self.stopped,
            "started_at": self.started_at,
            "cull_at": self.cull_at,
        }

        def write(doc: Any) -> None:
            ykernel = doc.get(KERNEL_MAP, type=Map)
            for key, value in state.items():
                if ykernel.get(key) != value:
                    ykernel[key] = value

        await self._room.apply_server_edit(write, SERVER_USER, protected=True)

    async def publish(self, *executions: Execution, also: Write | None = None) -> None:
        """Write the queue, the current run and these runs' records in one edit (with
        `also`, another write to pairbook's maps, such as the kernel-state view)."""
        waiting = [e.to_json() for e in self._queue]
        current = self.current.to_json() if self.current else None
        records = {e.id: {**e.to_json(), **e.extra} for e in executions}

        def write(doc: Any) -> None:
            ykernel = doc.get(KERNEL_MAP, type=Map)
            if ykernel.get("queue") != waiting:
                ykernel["queue"] = waiting
            if ykernel.get("current") != current:
                ykernel["current"] = current
            if records:
                yexecutions = doc.get(EXECUTIONS_MAP, type=Map)
                for execution_id, record in records.items():
                    yexecutions[execution_id] = record
            if also is not None:
                also(doc)

        await self._room.apply_server_edit(write, SERVER_USER, protected=True)
