"""`Writer`: the one thread that writes a SQLite store, committing queued writes in groups.

Group commit: coroutines put their writes on a queue and await a future. The writer thread
takes everything queued, writes it in one transaction, commits, and only then settles every
future of the batch through its event loop. Writes queued while a commit is in flight form
the next batch, so under load one commit (one fsync with synchronous=full) serves many
appends; a lone append with the thread idle is committed by its caller (`store.lone`), in
one statement when its client ids are claimed already.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
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
from pairbook.store.jobs import Append, Job, Operation, OperationJob, Outcome, Stop, room_ticket
from pairbook.store.lone import LoneAppends
from pairbook.store.rules import check_fence
from pairbook.store.sequences import Sequences, raise_fence

T = TypeVar("T")

_INSERT_RECORDS = 'INSERT INTO records (room, seq, ts, user_id, client_ids, "update") VALUES '
_INSERT_RECORD = _INSERT_RECORDS + "(?, ?, ?, ?, ?, ?)"
_INSERT_CLAIMS = "INSERT OR IGNORE INTO claims (room, client_id, user_id) VALUES "
CHECKPOINT_COMMITS = 300
"""Commits between checkpoints: about SQLite's 1000-page default for one-append commits."""
CHECKPOINT_BYTES = 4 * 1024 * 1024
"""Update bytes between checkpoints, for large commits."""
WAL_SIZE_VALVE = 2 * WAL_SIZE_LIMIT
"""Past this, the writer checkpoints itself: under non-stop writes the Checkpointer never
catches up completely, and only a complete checkpoint lets SQLite restart the log."""


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
        self._commits_since_checkpoint = self._bytes_since_checkpoint = 0
        self._counters = counters
        self._timer = timer
        self._queue: queue.SimpleQueue[Job] = queue.SimpleQueue()
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
        job = Append(
            loop, loop.create_future(), room, update, user_id, client_ids, ts, fence, ticket
        )
        if self._lone.take(len(update)) and self._commit_now(job):
            return job.future
        return self._put(job)

    def submit(self, run: Operation[T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        return self._put(OperationJob(loop, loop.create_future(), run))

    def stop(self) -> asyncio.Future[None]:
        """Commit everything queued so far, checkpoint the WAL and close the connection."""
        loop = asyncio.get_running_loop()
        return self._put(Stop(loop, loop.create_future()))

    def _put(self, job: Job) -> asyncio.Future[Any]:
        self._counters.submit()
        self._lone.queued()
        self._queue.put(job)
        return job.future

    def _commit_now(self, job: Append) -> bool:
        """Commit a lone append on the caller's thread (one statement when it can:
        `_insert_alone`, else a transaction) and settle its future (a failure on the loop's
        next turn); False (nothing done) when it must take the queue: a checkpoint due, a
        doomed append, the connection or the file in use (the thread waits for another
        process's lock, never the event loop)."""
        due = self._commits_since_checkpoint + 1 >= CHECKPOINT_COMMITS or (
            self._bytes_since_checkpoint + len(job.update) >= CHECKPOINT_BYTES
        )
        doomed = self._successors.doomed(job.room, job.ticket)
        if due or doomed or not self._using.acquire(blocking=False):
            return False
        try:
            seq = self._insert_alone(job)
            if seq is None:
                with contextlib.suppress(sqlite3.OperationalError):
                    self._begin(patient=False)
                if not self._conn.in_transaction:
                    return False
                self._counters.submit()
                outcomes = self._commit_batch([job], self._timer(), begun=True)
        finally:
            self._using.release()
        if seq is not None:
            settle(job.future, True, seq)
            return True
        self._failed_rooms(outcomes)
        if outcomes[0][1]:
            self._settle_in_loop(outcomes)
        else:  # next turn, as the thread's: the room's callbacks run before Successors.told
            job.loop.call_soon(self._settle_in_loop, outcomes)
        return True

    def _insert_alone(self, job: Append) -> int | None:
        """Write a typing append as one INSERT in autocommit mode (SQLite's implicit
        transaction: durable on return as after a COMMIT) and return its seq: when it
        carries no fence and the writer inserted its client ids' claims before (no claim to
        make). None, nothing written, otherwise, or when SQLite refuses the statement: a
        lock (the thread waits for it) or another error (the transaction meets it again,
        and fails the room), both through `_commit_now`'s transaction."""
        stored = (
            None if job.fence is not None else self._sequences.claimed(job.room, job.client_ids)
        )
        if stored is None:
            return None
        started = self._timer()
        try:
            if self._waits:
                self._begin(patient=False, begin=False)
            seq = self._sequences.last(self._conn, job.room) + 1
            self._conn.execute(
                _INSERT_RECORD, (job.room, seq, job.ts, job.user_id, stored, job.update)
            )
        except sqlite3.Error:
            return None
        self._sequences.took(job.room, seq)
        self._counters.submit()
        self._counters.committed(1, 1, self._timer() - started)
        self._after_commit(len(job.update))
        return seq

    # --- the writer thread ---------------------------------------------------------------

    def _main(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            writes = [job for job in batch if not isinstance(job, Stop)]
            stops = [job for job in batch if isinstance(job, Stop)]
            if writes:
                with self._using:
                    outcomes = self._commit(writes)
                self._settle(outcomes)
            if stops:
                with self._using:
                    outcomes = self._shutdown(stops)
                self._settle(outcomes)
                return

    def _commit(self, jobs: list[Job]) -> list[Outcome]:
        started = self._timer()
        batch, doomed = sort_out(self._successors, jobs, room_ticket)
        return doomed + (self._commit_batch(batch, started) if batch else [])

    def _commit_batch(
        self, batch: list[Job], started: float, *, begun: bool = False
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
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

    def _commit_isolated(self, batch: list[Job], started: float) -> list[Outcome]:
        outcomes: list[Outcome] = []
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

    def _write_alone(self, job: Job, outcomes: list[Outcome]) -> None:
        """Write one job of a batch in a savepoint: a refused row fails it (and the room's
        later appends) alone; any other error fails the batch."""
        if isinstance(job, Append) and self._successors.doomed(job.room, job.ticket):
            outcomes.append((job, False, self._successors.refusal(job.room)))
            return
        mine: list[Outcome] = []
        self._conn.execute("SAVEPOINT job")
        try:
            self._write([job], mine)
        except sqlite3.Error as exc:
            if not refused_a_row(exc):
                raise
            self._conn.execute("ROLLBACK TO job")
            error = describe_write_error(exc, self._path)
            if isinstance(job, Append):
                self._sequences.forget(job.room)  # its seq was taken back
                self._successors.failed(job.room)
            mine = [(job, False, error)]
        self._conn.execute("RELEASE job")
        outcomes.extend(mine)

    def _begin(self, *, patient: bool, begin: bool = True) -> None:
        """BEGIN IMMEDIATE: `patient`, waiting up to the busy timeout for another process's
        lock (the thread); else failing at once (a caller's event loop never waits). The
        timeout stays as set (a PRAGMA costs ~10 µs); with `begin` False, only set."""
        waits = self._busy_ms if patient else 0
        if waits != self._waits:
            self._conn.execute(f"PRAGMA busy_timeout = {int(waits)}")
            self._waits = waits
        if begin:
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

    def _committed(self, written: list[Job], started: float, jobs: int | None = None) -> None:
        appends = [job for job in written if isinstance(job, Append)]
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

    def _write(self, batch: list[Job], outcomes: list[Outcome]) -> None:
        for appends, run in runs(batch, lambda job: isinstance(job, Append)):
            if appends:
                self._write_appends(run, outcomes)
            else:
                assert isinstance(run[0], OperationJob)
                self._run_operation(run[0], outcomes)

    def _write_appends(self, appends: list[Job], outcomes: list[Outcome]) -> None:
        records: list[tuple[str, int, float, str, str, bytes]] = []
        claims: list[tuple[str, int, str]] = []
        for job in appends:
            assert isinstance(job, Append)
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
            self._sequences.claim(job.room, job.client_ids, ids)
            outcomes.append((job, True, seq))
        insert_rows(self._conn, _INSERT_RECORDS, records)
        insert_rows(self._conn, _INSERT_CLAIMS, claims)

    def _run_operation(self, job: OperationJob, outcomes: list[Outcome]) -> None:
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

    def _shutdown(self, stops: Sequence[Job]) -> list[Outcome]:
        outcome: tuple[bool, Any] = (True, None)
        try:
            self._checkpointer.stop()
            self._begin(patient=True, begin=False)  # a lone append last left it impatient
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            outcome = (False, describe_error(exc, self._path, "checkpoint store"))
        finally:
            self._conn.close()
            with self._counters.lock:
                self._counters.settled += len(stops)
        return [(job, *outcome) for job in stops]

    def _settle(self, outcomes: list[Outcome]) -> None:
        """Hand every outcome to its event loop, one wake-up per loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        for job, ok, value in outcomes:
            by_loop.setdefault(job.loop, []).append((job, ok, value))
        self._failed_rooms(outcomes)
        for loop, settled in by_loop.items():
            # A closed loop has nobody left waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._settle_from_thread, settled)

    def _failed_rooms(self, outcomes: list[Outcome]) -> None:
        for job, ok, value in outcomes:
            if room := lost_room(room_ticket(job), ok, value):
                self._successors.failed(room)

    def _settle_from_thread(self, outcomes: list[Outcome]) -> None:
        self._lone.settled(len(outcomes))
        self._settle_in_loop(outcomes)

    def _settle_in_loop(self, outcomes: list[Outcome]) -> None:
        loop = asyncio.get_running_loop()
        for job, ok, value in outcomes:
            settle(job.future, ok, value)
            if room := lost_room(room_ticket(job), ok, value):
                # Told once the failed append's caller has woken (the room lost its log): a
                # frame handled before that made its change on top of it, which fails too.
                loop.call_soon(self._successors.told, room)
