"""ExecutionQueue: runs requested by people, in request order, cancellable."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pairbook.schema import ExecutionRecord, UserRecord


class ExecutionStatus(StrEnum):
    """Where a run is in its life; the last five are final."""

    QUEUED = "queued"
    RUNNING = "running"
    WAITING_INPUT = "waiting-input"
    OK = "ok"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"
    DEAD = "dead"

    @property
    def final(self) -> bool:
        return self not in (
            ExecutionStatus.QUEUED,
            ExecutionStatus.RUNNING,
            ExecutionStatus.WAITING_INPUT,
        )


@dataclass(slots=True)
class Execution:
    """One run of one cell, attributed to the person who asked for it."""

    id: str
    cell_id: str
    user: UserRecord
    requested_by: str  # the connection that asked, so input() prompts reach that person
    queued_at: float
    status: ExecutionStatus = ExecutionStatus.QUEUED
    started_at: float | None = None
    finished_at: float | None = None
    execution_count: int | None = None
    source_hash: str | None = None
    error: str | None = None
    batch: str | None = None  # the request that queued several cells at once (run all, ...)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> ExecutionRecord:
        record: ExecutionRecord = {
            "id": self.id,
            "cell_id": self.cell_id,
            "user": self.user.copy(),
            "status": self.status.value,
            "queued_at": self.queued_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "execution_count": self.execution_count,
            "source_hash": self.source_hash,
            "error": self.error,
        }
        if self.batch is not None:
            record["batch"] = self.batch
        return record


class ExecutionQueue:
    """Runs waiting for the kernel, first requested first run."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._waiting: list[Execution] = []
        self._ids = itertools.count(1)
        self._clock = clock
        self._prefix = f"{int(clock() * 1000):x}"

    def __len__(self) -> int:
        return len(self._waiting)

    def __iter__(self) -> Iterator[Execution]:
        return iter(list(self._waiting))

    def push(self, cell_id: str, user: UserRecord, requested_by: str) -> Execution:
        execution = Execution(
            id=f"{self._prefix}-{next(self._ids)}",
            cell_id=cell_id,
            user=user,
            requested_by=requested_by,
            queued_at=self._clock(),
        )
        self._waiting.append(execution)
        return execution

    def push_batch(
        self, cell_ids: list[str], user: UserRecord, requested_by: str
    ) -> list[Execution]:
        """Queue the runs of one request; several of them are a batch, which stops at its
        first failure (`cancel_batch`), as Jupyter's run all does."""
        executions = [self.push(cell_id, user, requested_by) for cell_id in cell_ids]
        if len(executions) > 1:
            for execution in executions:
                execution.batch = executions[0].id
        return executions

    def pop(self) -> Execution | None:
        return self._waiting.pop(0) if self._waiting else None

    def cancel(self, execution_id: str) -> Execution | None:
        for index, execution in enumerate(self._waiting):
            if execution.id == execution_id:
                del self._waiting[index]
                execution.status = ExecutionStatus.CANCELLED
                execution.finished_at = self._clock()
                return execution
        return None

    def cancel_batch(self, batch: str, reason: str) -> list[Execution]:
        """Cancel the runs of this batch still waiting, saying why; other runs stay queued."""
        dropped = [e for e in self._waiting if e.batch == batch]
        self._waiting = [e for e in self._waiting if e.batch != batch]
        for execution in dropped:
            execution.status = ExecutionStatus.CANCELLED
            execution.finished_at = self._clock()
            execution.error = reason
        return dropped

    def clear(self, reason: str) -> list[Execution]:
        """Cancel everything waiting, saying why (a restart or shutdown drops the queue)."""
        dropped, self._waiting = self._waiting, []
        for execution in dropped:
            execution.status = ExecutionStatus.CANCELLED
            execution.finished_at = self._clock()
            execution.error = reason
        return dropped
