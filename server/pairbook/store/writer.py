"""`Writer`: the one thread that writes a SQLite store, committing queued writes in groups.

Group commit: coroutines put their writes on a queue and await a future. The writer thread
takes everything queued, writes it in one transaction, commits, and only then settles every
future of the batch through its event loop. Writes queued while a commit is in flight form
the next batch, so under load one commit (one fsync with synchronous=full) serves many
appends, and a lone append is never kept waiting for company. A lone append with the thread
idle (`store.lone`) is committed by its caller at once, without the two thread hops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pairbook.errors import FencedError
from pairbook.store.batches import Counters, Successors, lost_room, runs, settle, sort_out
from pairbook.store.checkpointer import Checkpointer
from pairbook.store.connection import (
    WAL_SIZE_LIMIT,
    describe_error,
    describe_write_error,
    refused_a_row,
)
from pairbook.store.inserts import insert_rows
from pairbook.store.lone import LoneAppends
from pairbook.store.rules import check_fence
from pairbook.store.sequences import Sequences, raise_fence

T = TypeVar("T")

_INSERT_RECORDS = 'INSERT INTO records (room, seq, ts, user_id, client_ids, "update") VALUES '
_INSERT_CLAIMS = "INSERT OR IGNORE INTO claims (room, client_id, user_id) VALUES "
CHECKPOINT_COMMITS = 300
"""Commits between checkpoints: about SQLite's 1000-page default for one-append commits."""
CHECKPOINT_BYTES = 4 * 1024 * 1024
"""Update bytes between checkpoints, for large commits."""
WAL_SIZE_VALVE = 2 * WAL_SIZE_LIMIT
"""Past this, the writer checkpoints itself: under non-stop writes the Checkpointer never
catches up completely, and only a complete checkpoint lets SQLite restart the log."""

Operation = Callable[[sqlite3.Connection, Sequences], T]
"""A write run by the writer thread inside a batch's transaction."""


@dataclass(slots=True)
class _Job:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Append(_Job):
    room: str
    update: bytes
    user_id: str
    client_ids: tuple[int, ...]
    ts: float
    fence: int | None
    ticket: int


@dataclass(slots=True)
class _Operation(_Job):
    run: Operation[Any]


@dataclass(slots=True)
class _Stop(_Job):
    pass


# (job, True, result) or (job, False, exception)
_Outcome = tuple[_Job, bool, Any]


class Writer:
    """Owns the write connection; every write of the store goes through its queue."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        path: Path,
        checkpointer: Checkpointer,
        counters: Counters,
        timer: Callable[[], float],
        lone_quiet: float | None = None,
    ) -> None:
        self._conn = conn
        (self._busy_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
        self._waits = self._busy_ms  # the busy timeout the connection has now
        self._lone = LoneAppends(lone_quiet, timer)
        self._using = threading.Lock()  # the connection, between the thread and a caller
        self._path = path
        self._wal_path = path.with_name(path.name + "-wal")
        self._checkpointer = checkpointer
        self._commits_since_checkpoint = 0
        self._bytes_since_checkpoint = 0
        self._counters = counters
        self._timer = timer
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._sequences = Sequences()
        self._successors = Successors()
        self._thread = threading.Thread(
            target=self._main, name="pairbook-store-writer", daemon=True
        )

    def start(self) -> None:
        self._checkpointer.start()
        self._thread.start()

    def append(
        self,
        room: str,
        update: bytes,
        user_id: str,
        client_ids: tuple[int, ...],
        ts: float,
        fence: int | None = None,
    ) -> asyncio.Future[int]:
        loop = asyncio.get_running_loop()
        ticket = self._successors.ticket()
        job = _Append(
            loop, loop.create_future(), room, update, user_id, client_ids, ts, fence, ticket
        )
        if self._lone.take(len(update)) and self._commit_now(job):
            return job.future
        return self._put(job)

    def submit(self, run: Operation[T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        return self._put(_Operation(loop, loop.create_future(), run))

    def stop(self) -> asyncio.Future[None]:
        """Commit everything queued so far, checkpoint the WAL and close the connection."""
        loop = asyncio.get_running_loop()
        return self._put(_Stop(loop, loop.create_future()))

    def _put(self, job: _Job) -> asyncio.Future[Any]:
        self._counters.submit()
        self._lone.queued()
        self._queue.put(job)
        return job.future

    def _commit_now(self, job: _Append) -> bool:
        """Commit a lone append on the caller's thread and settle its future (a failure on
        the loop's next turn); False (nothing done) when it must take the queue: a
        checkpoint due, a doomed append, the connection or the file in use (the thread
        waits for another process's lock, never the event loop)."""
        due = self._commits_since_checkpoint + 1 >= CHECKPOINT_COMMITS or (
            self._bytes_since_checkpoint + len(job.update) >= CHECKPOINT_BYTES
        )
        doomed = self._successors.doomed(job.room, job.ticket)
        if due or doomed or not self._using.acquire(blocking=False):
            return False
        try:
            with contextlib.suppress(sqlite3.OperationalError):
                self._begin(patient=False)
            if not self._conn.in_transaction:
                return False
            self._counters.submit()
            outcomes = self._commit_batch([job], self._timer(), begun=True)
        finally:
            self._using.release()
        self._failed_rooms(outcomes)
        if outcomes[0][1]:
            self._settle_in_loop(outcomes)
        else:  # next turn, as the thread's: the room's callbacks run before Successors.told
            job.loop.call_soon(self._settle_in_loop, outcomes)
        return True

    # --- the writer thread ---------------------------------------------------------------

    def _main(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            writes = [job for job in batch if not isinstance(job, _Stop)]
            stops = [job for job in batch if isinstance(job, _Stop)]
            if writes:
                with self._using:
                    outcomes = self._commit(writes)
                self._settle(outcomes)
            if stops:
                with self._using:
                    outcomes = self._shutdown(stops)
                self._settle(outcomes)
                return

    def _commit(self, jobs: list[_Job]) -> list[_Outcome]:
        started = self._timer()
        batch, doomed = sort_out(self._successors, jobs, _room_ticket)
        return doomed + (self._commit_batch(batch, started) if batch else [])

    def _commit_batch(
        self, batch: list[_Job], started: float, *, begun: bool = False
    ) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        try:
            with self._transaction(begun=begun):
                self._write(batch, outcomes)
        except Exception as exc:
            self._sequences.clear()
            if len(batch) > 1 and refused_a_row(exc):
                # One write's rows were refused (a constraint, a trigger, a value too big):
                # the batch is written again write by write, and only that one's room fails.
                return self._commit_isolated(batch, started)
            # Nothing of this batch is in the file: every job fails, none silently.
            error = describe_write_error(exc, self._path)
            own_errors = {id(job): value for job, ok, value in outcomes if not ok}
            self._counters.failed(len(batch))
            return [(job, False, own_errors.get(id(job), error)) for job in batch]
        self._committed(batch, started)
        return outcomes

    def _commit_isolated(self, batch: list[_Job], started: float) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        try:
            with self._transaction():
                for job in batch:
                    self._write_alone(job, outcomes)
        except Exception as exc:
            self._sequences.clear()
            error = describe_write_error(exc, self._path)
            self._counters.failed(len(batch))
            return [(job, False, error) for job in batch]
        self._committed([job for job, ok, _ in outcomes if ok], started, len(batch))
        return outcomes

    def _write_alone(self, job: _Job, outcomes: list[_Outcome]) -> None:
        """Write one job of a batch in a savepoint: a refused row fails it (and the room's
        later appends) alone; any other error fails the batch."""
        if isinstance(job, _Append) and self._successors.doomed(job.room, job.ticket):
            outcomes.append((job, False, self._successors.refusal(job.room)))
            return
        mine: list[_Outcome] = []
        self._conn.execute("SAVEPOINT job")
        try:
            self._write([job], mine)
        except sqlite3.Error as exc:
            if not refused_a_row(exc):
                raise
            self._conn.execute("ROLLBACK TO job")
            error = describe_write_error(exc, self._path)
            if isinstance(job, _Append):
                self._sequences.forget(job.room)  # its seq was taken back
                self._successors.failed(job.room)
            mine = [(job, False, error)]
        self._conn.execute("RELEASE job")
        outcomes.extend(mine)

    def _begin(self, *, patient: bool) -> None:
        """BEGIN IMMEDIATE: `patient`, waiting up to the busy timeout for another process's
        lock (the thread); else failing at once (a caller's event loop never waits)."""
        waits = self._busy_ms if patient else 0
        if waits != self._waits:
            self._conn.execute(f"PRAGMA busy_timeout = {int(waits)}")
            self._waits = waits
        self._conn.execute("BEGIN IMMEDIATE")

    @contextlib.contextmanager
    def _transaction(self, *, begun: bool = False) -> Iterator[None]:
        conn = self._conn
        if not begun:
            self._begin(patient=True)
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # keep the error that matters
                    conn.execute("ROLLBACK")
            raise

    def _committed(self, written: list[_Job], started: float, jobs: int | None = None) -> None:
        appends = [job for job in written if isinstance(job, _Append)]
        count = len(written) if jobs is None else jobs
        self._counters.committed(count, len(appends), self._timer() - started)
        self._after_commit(sum(len(job.update) for job in appends))

    def _after_commit(self, written: int) -> None:
        self._commits_since_checkpoint += 1
        self._bytes_since_checkpoint += written
        if (
            self._commits_since_checkpoint < CHECKPOINT_COMMITS
            and self._bytes_since_checkpoint < CHECKPOINT_BYTES
        ):
            return
        self._commits_since_checkpoint = self._bytes_since_checkpoint = 0
        try:
            oversized = self._wal_path.stat().st_size > WAL_SIZE_VALVE
        except OSError:
            oversized = False
        if not oversized:
            self._checkpointer.request()
            return
        # The futures of this batch are not settled yet: this costs them latency, rarely.
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _write(self, batch: list[_Job], outcomes: list[_Outcome]) -> None:
        for appends, run in runs(batch, lambda job: isinstance(job, _Append)):
            if appends:
                self._write_appends(run, outcomes)
            else:
                assert isinstance(run[0], _Operation)
                self._run_operation(run[0], outcomes)

    def _write_appends(self, appends: list[_Job], outcomes: list[_Outcome]) -> None:
        records: list[tuple[str, int, float, str, str, bytes]] = []
        claims: list[tuple[str, int, str]] = []
        for job in appends:
            assert isinstance(job, _Append)
            if job.fence is not None:
                try:
                    check_fence(job.room, job.fence, raise_fence(self._conn, job.room, job.fence))
                except FencedError as exc:
                    outcomes.append((job, False, exc))
                    continue
            seq = self._sequences.advance(self._conn, job.room)
            ids = json.dumps(job.client_ids, separators=(",", ":"))
            records.append((job.room, seq, job.ts, job.user_id, ids, job.update))
            claims.extend((job.room, client_id, job.user_id) for client_id in job.client_ids)
            outcomes.append((job, True, seq))
        insert_rows(self._conn, _INSERT_RECORDS, records)
        insert_rows(self._conn, _INSERT_CLAIMS, claims)

    def _run_operation(self, job: _Operation, outcomes: list[_Outcome]) -> None:
        # A savepoint lets one refused operation fail alone; an sqlite3 error fails the batch.
        self._conn.execute("SAVEPOINT operation")
        try:
            result = job.run(self._conn, self._sequences)
        except sqlite3.Error:
            raise
        except Exception as exc:
            self._conn.execute("ROLLBACK TO operation")
            self._conn.execute("RELEASE operation")
            outcomes.append((job, False, exc))
        else:
            self._conn.execute("RELEASE operation")
            outcomes.append((job, True, result))

    def _shutdown(self, stops: Sequence[_Job]) -> list[_Outcome]:
        outcome: tuple[bool, Any] = (True, None)
        try:
            self._checkpointer.stop()
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            outcome = (False, describe_error(exc, self._path, "checkpoint store"))
        finally:
            self._conn.close()
            with self._counters.lock:
                self._counters.settled += len(stops)
        return [(job, *outcome) for job in stops]

    def _settle(self, outcomes: list[_Outcome]) -> None:
        """Hand every outcome to its event loop, one wake-up per loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for job, ok, value in outcomes:
            by_loop.setdefault(job.loop, []).append((job, ok, value))
        self._failed_rooms(outcomes)
        for loop, settled in by_loop.items():
            # A closed loop has nobody left waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._settle_from_thread, settled)

    def _failed_rooms(self, outcomes: list[_Outcome]) -> None:
        for job, ok, value in outcomes:
            if room := lost_room(_room_ticket(job), ok, value):
                self._successors.failed(room)

    def _settle_from_thread(self, outcomes: list[_Outcome]) -> None:
        self._lone.settled(len(outcomes))
        self._settle_in_loop(outcomes)

    def _settle_in_loop(self, outcomes: list[_Outcome]) -> None:
        loop = asyncio.get_running_loop()
        for job, ok, value in outcomes:
            settle(job.future, ok, value)
            if room := lost_room(_room_ticket(job), ok, value):
                # Told once the failed append's caller has woken (the room lost its log): a
                # frame handled before that made its change on top of it, which fails too.
                loop.call_soon(self._successors.told, room)


def _room_ticket(job: _Job) -> tuple[str, int] | None:
    return (job.room, job.ticket) if isinstance(job, _Append) else None
