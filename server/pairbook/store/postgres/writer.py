"""`Writer`: the one task that writes a PostgreSQL store, committing queued writes in groups.

Group commit, as SQLiteStore's writer: coroutines queue their writes and await a future; the
writer takes everything queued (up to a bound), writes it in one transaction on its own
connection, commits, and only then settles the futures, in the order the writes were queued.
Appends are numbered under each room's row lock in `pairbook_logs`, so writers in several
processes number one room's records one after the other, with no gap and no duplicate.

A failure fails the whole batch (every caller gets a StoreError, nothing of it is stored);
a lost connection is dropped and the next batch connects again. A batch that PostgreSQL
rolled back for a deadlock or a serialization failure wrote nothing, so it is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pgerrors

from pairbook.errors import FencedError, StoreError
from pairbook.store.batches import Counters, Successors, lost_room, runs, settle, sort_out
from pairbook.store.postgres import queries
from pairbook.store.postgres.connection import connect, describe_error, redact
from pairbook.store.rules import check_fence

T = TypeVar("T")
Connection = queries.Connection
Operation = Callable[[Connection], Awaitable[T]]
"""A write run by the writer inside a batch's transaction, in a savepoint of its own."""

MAX_BATCH_JOBS = 1000
MAX_BATCH_BYTES = 16 * 1024 * 1024
"""Update bytes one batch carries at most (a batch holds at least one write, whatever its size)."""
ATTEMPTS = 3
"""Tries of a batch PostgreSQL rolled back to break a deadlock or a serialization conflict."""
_RETRYABLE = (pgerrors.DeadlockDetected, pgerrors.SerializationFailure)


@dataclass(slots=True)
class _Append:
    future: asyncio.Future[Any]
    room: str
    update: bytes
    user_id: str
    client_ids: tuple[int, ...]
    ts: float
    fence: int | None
    ticket: int


@dataclass(slots=True)
class _Operation:
    future: asyncio.Future[Any]
    run: Operation[Any]


_Job = _Append | _Operation
_Outcome = tuple[_Job, bool, Any]
"""(job, True, result) or (job, False, exception)"""


class Writer:
    """Owns the write connection; every write of the store goes through its queue."""

    def __init__(
        self,
        url: str,
        *,
        counters: Counters,
        timer: Callable[[], float],
        write_timeout: float,
    ) -> None:
        self._url = url
        self._counters = counters
        self._timer = timer
        self._write_timeout = write_timeout
        self._queue: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._stopping = False
        self._conn: Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._successors = Successors()

    def start(self, conn: Connection) -> None:
        """Write on `conn` (connected and checked by the store) from now on."""
        self._conn = conn
        self._task = asyncio.create_task(self._main(), name="pairbook-store-writer")

    def append(
        self,
        room: str,
        update: bytes,
        user_id: str,
        client_ids: tuple[int, ...],
        ts: float,
        fence: int | None = None,
    ) -> asyncio.Future[int]:
        future = asyncio.get_running_loop().create_future()
        ticket = self._successors.ticket()
        return self._put(_Append(future, room, update, user_id, client_ids, ts, fence, ticket))

    def submit(self, run: Operation[T]) -> asyncio.Future[T]:
        return self._put(_Operation(asyncio.get_running_loop().create_future(), run))

    async def stop(self) -> None:
        """Commit everything queued so far, then close the connection."""
        self._stopping = True
        self._wake.set()
        try:
            if self._task is not None:
                # Not `await self._task`: a writer that died has failed its writes, and
                # closing the store must not raise its end (a cancellation) to the closer.
                await asyncio.wait([self._task])
        finally:
            await self._drop()

    def _put(self, job: _Job) -> asyncio.Future[Any]:
        if self._task is None or self._task.done():  # a write nobody would ever take
            job.future.set_exception(
                StoreError("the store's writer is not running; reopen the store")
            )
            return job.future
        self._counters.submit()
        self._queue.append(job)
        self._wake.set()
        return job.future

    # --- the writer task -----------------------------------------------------------------

    async def _main(self) -> None:
        taken: list[_Job] = []
        try:
            while True:
                while not self._queue:
                    if self._stopping:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                taken = self._take()
                batch, doomed = sort_out(self._successors, taken, _room_ticket)
                outcomes = doomed + (await self._commit(batch) if batch else [])
                self._answer(outcomes)
                taken = []
        except BaseException:
            # The task ends (cancelled, or an error nothing expected): the writes queued
            # behind its batch fail too, or their callers would wait for good.
            self._fail_all(taken + list(self._queue))
            raise

    def _answer(self, outcomes: list[_Outcome]) -> None:
        lost = {room for job, ok, value in outcomes
                if (room := lost_room(_room_ticket(job), ok, value))}  # fmt: skip
        for room in lost:
            self._successors.failed(room)
        _settle(outcomes)
        for room in lost:
            # Told once the failed append's caller has woken (the room lost its log):
            # appends queued until then were made on top of it, and fail too.
            asyncio.get_running_loop().call_soon(self._successors.told, room)

    def _fail_all(self, jobs: list[_Job]) -> None:
        self._queue.clear()
        _settle([(job, False, StoreError("the store was closed")) for job in jobs])

    def _take(self) -> list[_Job]:
        batch: list[_Job] = []
        size = 0
        while self._queue and len(batch) < MAX_BATCH_JOBS:
            job = self._queue[0]
            grows = len(job.update) if isinstance(job, _Append) else 0
            if batch and size + grows > MAX_BATCH_BYTES:
                break
            batch.append(self._queue.popleft())
            size += grows
        return batch

    async def _commit(self, batch: list[_Job]) -> list[_Outcome]:
        started = self._timer()
        for attempt in range(1, ATTEMPTS + 1):
            outcomes: list[_Outcome] = []
            try:
                async with asyncio.timeout(self._write_timeout):
                    conn = await self._connection()
                    only = [job for job in batch if isinstance(job, _Append) and job.fence is None]
                    if len(only) == len(batch):  # one statement: its own transaction
                        await _write_appends(conn, only, outcomes)
                    else:
                        async with conn.transaction():
                            await self._write(conn, batch, outcomes)
            except _RETRYABLE as exc:
                if attempt < ATTEMPTS:
                    continue
                return self._failed(batch, outcomes, self._describe(exc))
            except Exception as exc:
                if len(batch) > 1 and _of_a_row(exc):
                    # One write's rows were refused (a constraint, a trigger, a value too
                    # big): the batch is written again write by write, failing that one alone.
                    return await self._commit_isolated(batch, started)
                return self._failed(batch, outcomes, await self._forget(exc))
            break
        appends = sum(isinstance(job, _Append) for job in batch)
        self._counters.committed(len(batch), appends, self._timer() - started)
        return outcomes

    async def _commit_isolated(self, batch: list[_Job], started: float) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        try:
            async with asyncio.timeout(self._write_timeout):
                conn = await self._connection()
                async with conn.transaction():
                    for job in batch:
                        await self._write_alone(conn, job, outcomes)
        except Exception as exc:
            return self._failed(batch, [], await self._forget(exc))
        appends = sum(isinstance(job, _Append) and ok for job, ok, _ in outcomes)
        self._counters.committed(len(batch), appends, self._timer() - started)
        return outcomes

    async def _write_alone(self, conn: Connection, job: _Job, outcomes: list[_Outcome]) -> None:
        """Write one job of a batch in a savepoint: a refused row fails it (and the room's
        later appends) alone; a lost connection or a deadlock fails the batch."""
        if isinstance(job, _Operation):
            await self._run_operation(conn, job, outcomes)  # a savepoint of its own
            return
        if self._successors.doomed(job.room, job.ticket):
            outcomes.append((job, False, self._successors.refusal(job.room)))
            return
        mine: list[_Outcome] = []
        try:
            async with conn.transaction():
                await _write_appends(conn, [job], mine)
        except psycopg.Error as exc:
            if not _of_a_row(exc):
                raise
            error = self._describe(exc)
            self._successors.failed(job.room)
            mine = [(job, False, error)]
        outcomes.extend(mine)

    async def _connection(self) -> Connection:
        if self._conn is not None and (self._conn.closed or _said_goodbye(self._conn)):
            await self._drop()  # a restarted server or a terminated session: start afresh
        if self._conn is None:
            self._conn = await connect(self._url)
        return self._conn

    async def _forget(self, exc: Exception) -> StoreError:
        """Why the batch failed; a connection in doubt is dropped (the next batch reconnects)."""
        if isinstance(exc, TimeoutError):
            await self._drop()
            return StoreError(
                f"cannot write to store {redact(self._url)}: PostgreSQL did not answer within "
                f"{self._write_timeout:g} s; check that it runs and is not locked up"
            )
        if isinstance(exc, psycopg.OperationalError) or (self._conn and self._conn.broken):
            await self._drop()
        return exc if isinstance(exc, StoreError) else self._describe(exc)

    def _describe(self, exc: BaseException) -> StoreError:
        error = describe_error(exc, self._url, "write to store")
        error.__cause__ = exc
        return error

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                await conn.close()

    def _failed(
        self, batch: list[_Job], outcomes: list[_Outcome], error: StoreError
    ) -> list[_Outcome]:
        own_errors = {id(job): value for job, ok, value in outcomes if not ok}
        self._counters.failed(len(batch))
        return [(job, False, own_errors.get(id(job), error)) for job in batch]

    async def _write(self, conn: Connection, batch: list[_Job], outcomes: list[_Outcome]) -> None:
        for appending, run in runs(batch, lambda job: isinstance(job, _Append)):
            if appending:
                await _write_appends(conn, [j for j in run if isinstance(j, _Append)], outcomes)
            else:
                assert isinstance(run[0], _Operation)
                await self._run_operation(conn, run[0], outcomes)

    async def _run_operation(
        self, conn: Connection, job: _Operation, outcomes: list[_Outcome]
    ) -> None:
        # A savepoint lets one refused operation fail alone; a lost connection, a deadlock or
        # a serialization failure (all OperationalError) fails the batch.
        try:
            async with conn.transaction():
                result = await job.run(conn)
        except psycopg.OperationalError:
            raise
        except psycopg.Error as exc:
            outcomes.append((job, False, self._describe(exc)))
        except Exception as exc:
            outcomes.append((job, False, exc))
        else:
            outcomes.append((job, True, result))


def _room_ticket(job: _Job) -> tuple[str, int] | None:
    return (job.room, job.ticket) if isinstance(job, _Append) else None


def _of_a_row(exc: BaseException) -> bool:
    """Whether PostgreSQL refused a row (a constraint, a trigger, a value) rather than the
    session (a lost connection, a deadlock, a timeout): only the first can fail a write alone."""
    return isinstance(exc, psycopg.Error) and not isinstance(exc, psycopg.OperationalError)


def _said_goodbye(conn: Connection) -> bool:
    """Whether the server wrote to this idle connection: between batches it has nothing to
    say but goodbye (a terminated session's FATAL, then end of file), so a batch is not sent
    into a connection already lost. Costs one select() call, no round trip."""
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(readable)


async def _write_appends(conn: Connection, jobs: list[_Append], outcomes: list[_Outcome]) -> None:
    """One statement for the whole run (see queries.APPEND_RECORDS); fenced appends are
    checked first (in the batch's transaction: see queries.lock_fences)."""
    if any(job.fence is not None for job in jobs):
        jobs = await _check_fences(conn, jobs, outcomes)
        if not jobs:
            return
    columns: tuple[list[str], list[float], list[str], list[str], list[bytes]] = (
        [], [], [], [], []
    )  # fmt: skip
    for job in jobs:
        columns[0].append(job.room)
        columns[1].append(job.ts)
        columns[2].append(job.user_id)
        columns[3].append("{" + ",".join(map(str, job.client_ids)) + "}")
        columns[4].append(job.update)
    cursor = await conn.execute(queries.APPEND_RECORDS, columns)
    seqs = [int(seq) for (seq,) in await cursor.fetchall()]
    outcomes.extend((job, True, seq) for job, seq in zip(jobs, seqs, strict=True))


async def _check_fences(
    conn: Connection, jobs: list[_Append], outcomes: list[_Outcome]
) -> list[_Append]:
    """The appends whose fence holds; the others fail with FencedError. The fences of the
    rooms are raised to the appends' tokens, under the rows' locks until the commit."""
    tokens: dict[str, int] = {}
    for job in jobs:
        if job.fence is not None:
            tokens[job.room] = max(tokens.get(job.room, 0), job.fence)
    fences = await queries.lock_fences(conn, sorted(tokens))
    kept: list[_Append] = []
    for job in jobs:
        if job.fence is not None:
            try:
                check_fence(job.room, job.fence, fences[job.room])
            except FencedError as exc:
                outcomes.append((job, False, exc))
                continue
        kept.append(job)
    await queries.set_fences(conn, {room: t for room, t in tokens.items() if t > fences[room]})
    return kept


def _settle(outcomes: list[_Outcome]) -> None:
    for job, ok, value in outcomes:
        settle(job.future, ok, value)
