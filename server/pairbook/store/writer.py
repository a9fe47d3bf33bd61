"""`Writer`: the one thread that writes a SQLite store, committing queued writes in groups.

Group commit: coroutines put their writes on a queue and await a future. The writer thread
takes everything queued, writes it in one transaction, commits, and only then settles every
future of the batch through its event loop. Writes queued while a commit is in flight form
the next batch, so under load one commit (one fsync with synchronous=full) serves many
appends, and a lone append is never kept waiting for company.
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

from pairbook.errors import FencedError, StoreError
from pairbook.store.batches import Counters, Successors, lost_room, runs, settle, sort_out
from pairbook.store.checkpointer import Checkpointer
from pairbook.store.connection import WAL_SIZE_LIMIT, describe_error
from pairbook.store.inserts import insert_rows
from pairbook.store.rules import check_fence

T = TypeVar("T")

_INSERT_RECORDS = 'INSERT INTO records (room, seq, ts, user_id, client_ids, "update") VALUES '
_INSERT_CLAIMS = "INSERT OR IGNORE INTO claims (room, client_id, user_id) VALUES "
_RAISE_FENCE = (
    "INSERT INTO fences (room, token) VALUES (?, ?) "
    "ON CONFLICT (room) DO UPDATE SET token = MAX(token, excluded.token)"
)
CHECKPOINT_COMMITS = 300
"""Commits between checkpoints: about SQLite's 1000-page default for one-append commits."""
CHECKPOINT_BYTES = 4 * 1024 * 1024
"""Update bytes between checkpoints, for large commits."""
WAL_SIZE_VALVE = 2 * WAL_SIZE_LIMIT
"""Past this, the writer checkpoints itself: under non-stop writes the Checkpointer never
catches up completely, and only a complete checkpoint lets SQLite restart the log."""

_LAST_SEQ = """SELECT MAX(last) FROM (
    SELECT MAX(seq) AS last FROM records WHERE room = ?
    UNION ALL SELECT upto_seq FROM snapshots WHERE room = ?
)"""


class Sequences:
    """The last seq of every room the writer has written, read from the file on first use.

    A snapshot counts: once pruned, records no longer say how far a room's log went.
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def last(self, conn: sqlite3.Connection, room: str) -> int:
        last = self._last.get(room)
        if last is None:
            (found,) = conn.execute(_LAST_SEQ, (room, room)).fetchone()
            last = self._last[room] = found or 0
        return last

    def advance(self, conn: sqlite3.Connection, room: str) -> int:
        seq = self._last[room] = self.last(conn, room) + 1
        return seq

    def forget(self, room: str) -> None:
        self._last.pop(room, None)

    def clear(self) -> None:
        self._last.clear()


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
    ) -> None:
        self._conn = conn
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
        self._queue.put(job)
        return job.future

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
                self._settle(self._commit(writes))
            if stops:
                self._settle(self._shutdown(stops))
                return

    def _commit(self, jobs: list[_Job]) -> list[_Outcome]:
        started = self._timer()
        batch, doomed = sort_out(self._successors, jobs, _room_ticket)
        return doomed + (self._commit_batch(batch, started) if batch else [])

    def _commit_batch(self, batch: list[_Job], started: float) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        try:
            with self._transaction():
                self._write(batch, outcomes)
        except Exception as exc:
            self._sequences.clear()
            if len(batch) > 1 and _of_a_row(exc):
                # One write's rows were refused (a constraint, a trigger, a value too big):
                # the batch is written again write by write, and only that one's room fails.
                return self._commit_isolated(batch, started)
            # Nothing of this batch is in the file: every job fails, none silently.
            error = self._describe(exc)
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
            error = self._describe(exc)
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
            if not _of_a_row(exc):
                raise
            self._conn.execute("ROLLBACK TO job")
            error = self._describe(exc)
            if isinstance(job, _Append):
                self._sequences.forget(job.room)  # its seq was taken back
                self._successors.failed(job.room)
            mine = [(job, False, error)]
        self._conn.execute("RELEASE job")
        outcomes.extend(mine)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
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
            if room := lost_room(_room_ticket(job), ok, value):
                self._successors.failed(room)
        for loop, settled in by_loop.items():
            # A closed loop has nobody left waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._settle_in_loop, settled)

    def _settle_in_loop(self, outcomes: list[_Outcome]) -> None:
        loop = asyncio.get_running_loop()
        for job, ok, value in outcomes:
            settle(job.future, ok, value)
            if room := lost_room(_room_ticket(job), ok, value):
                # Told once the failed append's caller has woken (the room lost its log): a
                # frame handled before that made its change on top of it, which fails too.
                loop.call_soon(self._successors.told, room)

    def _describe(self, exc: Exception) -> StoreError:
        if isinstance(exc, sqlite3.Error):
            return describe_error(exc, self._path, "write to store")
        error = StoreError(
            f"cannot write to store {self._path}: unexpected {exc!r}; "
            "this is a pairbook bug, please report it"
        )
        error.__cause__ = exc
        return error


def _of_a_row(exc: BaseException) -> bool:
    """Whether SQLite refused a row (a constraint or trigger, a value too big) rather than
    the transaction (a lock, the disk, the file): only the first can fail one write alone."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


def raise_fence(conn: sqlite3.Connection, room: str, token: int) -> int:
    """Raise the room's fence to `token` (never lower it); the fence it had before."""
    row = conn.execute("SELECT token FROM fences WHERE room = ?", (room,)).fetchone()
    conn.execute(_RAISE_FENCE, (room, token))
    return int(row[0]) if row else 0


def _room_ticket(job: _Job) -> tuple[str, int] | None:
    return (job.room, job.ticket) if isinstance(job, _Append) else None
