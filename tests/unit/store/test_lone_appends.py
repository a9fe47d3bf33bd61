"""A lone append is committed by its caller at once, never out of turn and never waiting
on the event loop for another process's lock (pairbook.store.lone)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from pairbook.store import SQLiteStore
from pairbook.store.lone import LONE_QUIET
from support.refusals import writes_held


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
