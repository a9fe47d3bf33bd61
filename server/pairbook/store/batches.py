"""What both group-commit writers (SQLite's thread, PostgreSQL's task) share: their counters,
how a batch is cut into statements, how a caller gets its outcome, and which appends a batch
written again write by write fails (`Isolation`)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pairbook.errors import StoreError
from pairbook.store.records import StoreStats

J = TypeVar("J")


@dataclass(slots=True)
class Counters:
    """What the writer has done, kept across reopenings of one store."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    appends: int = 0
    commits: int = 0
    failed_commits: int = 0
    submitted: int = 0
    settled: int = 0
    last_commit_seconds: float = 0.0

    def submit(self) -> None:
        with self.lock:
            self.submitted += 1

    def committed(self, jobs: int, appends: int, seconds: float) -> None:
        """A batch of `jobs` writes, `appends` of them appends, committed in `seconds`."""
        with self.lock:
            self.commits += 1
            self.appends += appends
            self.settled += jobs
            self.last_commit_seconds = seconds

    def failed(self, jobs: int) -> None:
        """A batch of `jobs` writes failed whole."""
        with self.lock:
            self.failed_commits += 1
            self.settled += jobs

    def stats(self) -> StoreStats:
        with self.lock:
            return StoreStats(
                appends=self.appends,
                commits=self.commits,
                failed_commits=self.failed_commits,
                pending=self.submitted - self.settled,
                last_commit_seconds=self.last_commit_seconds,
            )


def runs(batch: Sequence[J], appends: Callable[[J], bool]) -> Iterator[tuple[bool, list[J]]]:
    """The batch in the order queued, cut into runs: consecutive appends together (one
    statement), each other write alone; (whether the run is of appends, the run)."""
    start = 0
    while start < len(batch):
        end = start + 1
        if appends(batch[start]):
            while end < len(batch) and appends(batch[end]):
                end += 1
        yield appends(batch[start]), list(batch[start:end])
        start = end


def settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    """Give a write's caller its result (`ok`) or its exception."""
    if future.done():
        return  # the caller was cancelled; the write stands all the same
    if ok:
        future.set_result(value)
    elif isinstance(value, StoreError):
        # A fresh exception per caller: one shared instance would pile up tracebacks.
        error = type(value)(*value.args)
        error.__cause__ = value.__cause__
        future.set_exception(error)
    else:
        future.set_exception(value)


class Isolation:
    """A batch written again write by write, each in a savepoint of its own, after one of its
    writes failed the batch's transaction: a write that fails now fails alone, with the later
    appends of its room in the batch (the log never holds a change without the ones queued
    before it), and every other write of the batch commits."""

    def __init__(self) -> None:
        self._failed: dict[str, StoreError] = {}

    def failed_before(self, room: str) -> StoreError | None:
        """Why an earlier append of the room in this batch failed, if one did."""
        return self._failed.get(room)

    def fail(self, room: str, error: StoreError) -> None:
        self._failed.setdefault(room, error)
