"""A lone append is committed by its caller at once, never out of turn and never waiting
on the event loop for another process's lock (pairbook.store.lone)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pairbook.errors import FencedError, StoreError
from pairbook.store import SQLiteStore
from pairbook.store.lone import LONE_QUIET
from support.refusals import refuse_appends, writes_held


class Timer:
    """The store's timer, moved by the test: `quiet()` makes the next append lone."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def quiet(self) -> None:
        self.now += 2 * LONE_QUIET


def _append(store: SQLiteStore, update: bytes) -> asyncio.Future[int]:
    written = store.append_soon("a.ipynb", update, "alice", [1])
    assert isinstance(written, asyncio.Future)
    return written


def _wait_for_commits(store: SQLiteStore, appends: int) -> None:
    """Block (not giving the event loop a turn) until the writer thread has committed."""
    for _ in range(10_000):
        if store.stats().appends == appends:
            return
        time.sleep(0.001)
    raise AssertionError(f"the writer thread never committed {appends} appends")


def _in_file(path: Path) -> list[bytes]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute('SELECT "update" FROM records ORDER BY seq').fetchall()
    return [row[0] for row in rows]


async def test_a_lone_append_is_in_the_file_when_append_soon_returns(tmp_path: Path) -> None:
    timer = Timer()
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path, timer=timer) as store:
        timer.quiet()
        written = _append(store, b"lone")
        assert written.done()
        assert written.result() == 1
        assert _in_file(path) == [b"lone"]  # committed: another connection reads it


async def test_an_append_close_behind_another_takes_the_writer_thread(tmp_path: Path) -> None:
    timer = Timer()
    async with SQLiteStore(tmp_path / "pairbook.sqlite", timer=timer) as store:
        timer.quiet()
        first = _append(store, b"first")
        second = _append(store, b"second")  # no quiet in between: group commit's business
        assert not second.done()
        assert list(await asyncio.gather(first, second)) == [1, 2]


async def test_a_lone_append_waits_for_what_the_thread_wrote_to_be_answered(
    tmp_path: Path,
) -> None:
    """The thread has committed an append whose answer has not reached the loop yet: an
    append made now is not committed (or answered) ahead of it."""
    timer = Timer()
    async with SQLiteStore(tmp_path / "pairbook.sqlite", timer=timer) as store:
        timer.quiet()
        await _append(store, b"lone")
        queued = _append(store, b"queued")  # close behind: the thread writes it
        _wait_for_commits(store, 2)  # the thread commits it; its answer waits for the loop
        timer.quiet()
        later = _append(store, b"later")
        answered: list[int] = []
        for future in (queued, later):
            future.add_done_callback(lambda done: answered.append(done.result()))
        await asyncio.gather(queued, later)
        assert answered == [2, 3]  # logged and answered in the order made


@pytest.mark.timeout(60)
async def test_a_lone_append_never_waits_on_the_loop_for_another_process(
    tmp_path: Path,
) -> None:
    """Another connection holds the file's write lock: the append is handed to the thread,
    which waits for the lock; the caller's loop goes on at once (had it waited as the
    thread does, for the busy timeout, the test would time out)."""
    timer = Timer()
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path, timer=timer, busy_timeout=3600) as store:
        with writes_held(store):
            timer.quiet()
            written = _append(store, b"held")
            assert not written.done()
        assert await written == 1
        timer.quiet()
        assert _append(store, b"free").done()  # and the next lone one is committed at once


async def test_with_synchronous_full_every_append_takes_the_thread(tmp_path: Path) -> None:
    """There a commit is an fsync: never one on the event loop."""
    timer = Timer()
    async with SQLiteStore(tmp_path / "pairbook.sqlite", synchronous="full", timer=timer) as store:
        timer.quiet()
        written = _append(store, b"full")
        assert not written.done()
        assert await written == 1


async def test_after_a_lone_append_closing_still_waits_for_readers_to_truncate_the_log(
    tmp_path: Path,
) -> None:
    """The lone append began its transaction without waiting for locks: the connection
    waits again afterwards, so the TRUNCATE checkpoint of close waits for a reader still
    on the log (before, it gave up at once and the log stayed as long as it was)."""
    timer = Timer()
    path = tmp_path / "pairbook.sqlite"
    closed = threading.Event()
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    probe = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    try:
        async with SQLiteStore(path, timer=timer, busy_timeout=3600) as store:
            timer.quiet()
            assert await _append(store, b"lone") == 1
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM records").fetchone()  # a snapshot on the log
            # The log copied back now: the close's checkpoint has only the reader to wait for.
            busy, frames, copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            assert (busy, copied) == (0, frames)
            args = (reader, probe, closed)
            releasing = threading.Thread(target=_end_read_once_checkpointing, args=args)
            releasing.start()
        closed.set()
        releasing.join()
        assert path.with_name(path.name + "-wal").stat().st_size == 0
    finally:
        probe.close()
        reader.close()


def _end_read_once_checkpointing(
    reader: sqlite3.Connection, probe: sqlite3.Connection, closed: threading.Event
) -> None:
    """End the reader's transaction once the store's TRUNCATE checkpoint holds the write
    lock (waiting for this reader to end), or once the store closed without one."""
    while not closed.is_set():
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            break  # the checkpoint holds the lock
        probe.execute("ROLLBACK")
        time.sleep(0.001)
    reader.execute("COMMIT")


def _statements(store: SQLiteStore) -> list[str]:
    """Every statement the store's writer connection runs from now on."""
    writer: Any = getattr(store, "_writer", None)
    statements: list[str] = []
    writer._conn.set_trace_callback(statements.append)
    return statements


def _claims(path: Path) -> dict[int, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT client_id, user_id FROM claims WHERE room = 'a.ipynb'"))


async def test_a_lone_append_of_a_client_claimed_already_is_one_insert(tmp_path: Path) -> None:
    """Its claim is in the file (the writer inserted it): the record alone, in SQLite's
    implicit transaction, no BEGIN and COMMIT (before: four statements)."""
    timer = Timer()
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path, timer=timer) as store:
        timer.quiet()
        assert await _append(store, b"first") == 1
        statements = _statements(store)
        timer.quiet()
        written = _append(store, b"second")
        assert written.done()
        assert written.result() == 2
        assert len(statements) == 1, statements
        assert statements[0].startswith("INSERT INTO records")
        assert _in_file(path) == [b"first", b"second"]  # committed: another connection reads it
        assert store.stats().commits == 2


async def test_a_lone_append_with_a_new_claim_inserts_it_in_a_transaction(
    tmp_path: Path,
) -> None:
    """A client id the writer has not claimed in the room (a new one, or any after a
    reopening: the claim may be in the file, but the writer has not written it)."""
    timer = Timer()
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path, timer=timer) as store:
        timer.quiet()
        assert await _append(store, b"first") == 1
        statements = _statements(store)
        timer.quiet()
        assert await store.append_soon("a.ipynb", b"both", "bob", [1, 2]) == 2
        assert "BEGIN IMMEDIATE" in statements, statements
        assert any(s.startswith("INSERT OR IGNORE INTO claims") for s in statements)
        assert _claims(path) == {1: "alice", 2: "bob"}  # the first claim stands
    async with SQLiteStore(path, timer=timer) as store:
        statements = _statements(store)
        timer.quiet()
        assert await _append(store, b"reopened") == 3
        assert "BEGIN IMMEDIATE" in statements, statements


async def test_a_dropped_rooms_claims_are_inserted_again(tmp_path: Path) -> None:
    timer = Timer()
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path, timer=timer) as store:
        timer.quiet()
        assert await _append(store, b"first") == 1
        await store.drop_room("a.ipynb")
        assert _claims(path) == {}
        timer.quiet()
        assert await _append(store, b"again") == 1
        assert _claims(path) == {1: "alice"}


async def test_a_lone_insert_the_file_is_locked_for_is_written_by_the_thread(
    tmp_path: Path,
) -> None:
    """Another process holds the write lock: the one statement fails at once (the loop
    never waits), nothing taken, and the thread writes the append with the next seq."""
    timer = Timer()
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path, timer=timer, busy_timeout=3600) as store:
        timer.quiet()
        assert await _append(store, b"first") == 1
        with writes_held(store):
            timer.quiet()
            held = _append(store, b"held")
            assert not held.done()
        assert await held == 2
        timer.quiet()
        free = _append(store, b"free")
        assert free.done()
        assert free.result() == 3
        assert _in_file(path) == [b"first", b"held", b"free"]


async def test_a_refused_lone_insert_fails_its_room(tmp_path: Path) -> None:
    """A row SQLite refuses: the append fails as in a transaction, and so does one its room
    made on top of it before hearing of it; nothing of either is stored."""
    timer = Timer()
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path, timer=timer) as store:
        timer.quiet()
        assert await _append(store, b"first") == 1
        refuse_appends(store, "a.ipynb", b"bad")
        timer.quiet()
        bad = _append(store, b"bad")
        after = _append(store, b"after")  # made before the room heard of the failure
        results = await asyncio.gather(bad, after, return_exceptions=True)
        assert all(isinstance(result, StoreError) for result in results), results
        assert "refused by the test" in str(results[0])
        assert _in_file(path) == [b"first"]


async def test_a_fenced_lone_append_is_checked_against_the_fence(tmp_path: Path) -> None:
    timer = Timer()
    async with SQLiteStore(tmp_path / "pairbook.sqlite", timer=timer) as store:
        timer.quiet()
        assert await _append(store, b"first") == 1
        await store.raise_fence("a.ipynb", 5)
        timer.quiet()
        with pytest.raises(FencedError):
            await store.append_soon("a.ipynb", b"stale", "alice", [1], fence=4)
        timer.quiet()
        assert await store.append_soon("a.ipynb", b"owner", "alice", [1], fence=5) == 2
