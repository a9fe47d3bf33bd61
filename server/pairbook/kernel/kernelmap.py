"""KernelMap: what the room's kernel is doing, published in the `kernel` and `executions`
top-level maps (name, status, last event, queue, current run, each run's record)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pycrdt import Map

from pairbook.kernel.ports import Kernel, RunnerRoom
from pairbook.kernel.queue import Execution, ExecutionQueue
from pairbook.schema import EXECUTIONS_MAP, KERNEL_MAP, KernelEventRecord, KernelRecord
from pairbook.service import Member
from pairbook.state.view import Write
from pairbook.types import SERVER_USER


class KernelMap:
    """Writes the runner's state into the document: `publish` after the queue or a run
    changed, `write_kernel` after the kernel's status did, `note_event` for a control
    command (interrupt, restart, ...)."""

    def __init__(
        self, room: RunnerRoom, queue: ExecutionQueue, clock: Callable[[], float] = time.time
    ) -> None:
        self._room = room
        self._queue = queue
        self._clock = clock
        self.current: Execution | None = None  # the run the kernel is busy with
        self.specs: dict[str, str] = {}  # installed kernels: name -> display name
        self.last_event: KernelEventRecord | None = None

    async def note_event(self, kind: str, member: Member, kernel: Kernel) -> None:
        self.last_event = {"kind": kind, "by": member.user.to_record(), "at": self._clock()}
        await self.write_kernel(kernel)

    async def write_kernel(self, kernel: Kernel) -> None:
        name = kernel.kernel_name
        state: KernelRecord = {
            "name": name,
            "display_name": self.specs.get(name, name),
            "status": kernel.status,
            "last_event": self.last_event,
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
