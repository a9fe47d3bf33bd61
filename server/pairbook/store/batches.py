"""What both group-commit writers (SQLite's thread, PostgreSQL's task) share: their counters,
how a batch is cut into statements, how a caller gets its outcome, and which appends fail
because an earlier append of their room did (`Successors`)."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pairbook.errors import FencedError, StoreError
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


class Successors:
    """The appends a room queued after one of its appends that failed, before the failure
    reached the room: they fail too, whichever batch they are in. They were made on top of
    the failed change (the room learns of it only once its caller is told, and then loses
    its peers), so the log never holds a change without the ones made before it.

    Each append gets a ticket when it is queued (`ticket`, on the caller's loop); a failed
    append's room fails every later append from then on (`failed`, by the writer) until its
    caller has been told and has woken (`told`, on the loop with `call_soon` after the
    outcome is settled: a frame handled between the two made its change on top of the
    failed one): from there, the appends queued before it fail."""

    def __init__(self) -> None:
        self._issued = 0
        self._until: dict[str, float] = {}

    def ticket(self) -> int:
        self._issued += 1
        return self._issued

    def failed(self, room: str) -> None:
        self._until[room] = math.inf

    def told(self, room: str) -> None:
        self._until[room] = self._issued

    def doomed(self, room: str, ticket: int) -> bool:
        return ticket <= self._until.get(room, 0)

    def refusal(self, room: str) -> AfterFailure:
        return AfterFailure(
            f"cannot write to room {room!r}: an earlier change of the room was not saved"
        )


class AfterFailure(StoreError):
    """An append not written because an earlier append of its room failed."""


def lost_room(room_ticket: tuple[str, int] | None, ok: bool, value: Any) -> str | None:
    """The room of an append (its room and ticket, None for another write) that failed for
    itself: not for a fence (a later owner's appends are not refused), nor after another."""
    if ok or room_ticket is None or isinstance(value, FencedError | AfterFailure):
        return None
    return room_ticket[0]


def sort_out(
    successors: Successors, jobs: list[J], room: Callable[[J], tuple[str, int] | None]
) -> tuple[list[J], list[tuple[J, bool, Any]]]:
    """The jobs to write, and the failed outcomes of the appends `successors` dooms (`room`:
    an append's room and ticket, None for another write)."""
    kept: list[J] = []
    doomed: list[tuple[J, bool, Any]] = []
    for job in jobs:
        found = room(job)
        if found is not None and successors.doomed(*found):
            doomed.append((job, False, successors.refusal(found[0])))
        else:
            kept.append(job)
    return kept, doomed
