"""The writes the SQLite writer is handed (`Job`s) and what it answers each (`Outcome`)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pairbook.store.sequences import Sequences

T = TypeVar("T")

Operation = Callable[[sqlite3.Connection, Sequences], T]
"""A write run by the writer thread inside a batch's transaction."""


@dataclass(slots=True)
class Job:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


@dataclass(slots=True)
class Append(Job):
    room: str
    update: bytes
    user_id: str
    client_ids: tuple[int, ...]
    ts: float
    fence: int | None
    ticket: int


@dataclass(slots=True)
class OperationJob(Job):
    run: Operation[Any]


@dataclass(slots=True)
class Stop(Job):
    pass


Outcome = tuple[Job, bool, Any]
"""(job, True, result) or (job, False, exception)."""


def room_ticket(job: Job) -> tuple[str, int] | None:
    """An append's room and ticket (`Successors`); None for another write."""
    return (job.room, job.ticket) if isinstance(job, Append) else None
