"""What only the SQLite store does: a file that outlives the process, group commit, failures."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from pairbook.errors import StoreError
from pairbook.store import SQLiteStore


class StepTimer:
    """A monotonic timer that moves a quarter of a second per reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


async def test_reopening_the_file_gives_the_same_log(tmp_path: Path) -> None:
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path) as store:
        for i in range(4):
            await store.append("a.ipynb", bytes([i]), "alice", [100 + i])
        await store.save_snapshot("a.ipynb", b"merged-1-2", 2)
        await store.set_meta("a.ipynb", "history_id", "h1")
        await store.claim("a.ipynb", 7, "pairbook:server")
        before = await store.load("a.ipynb")
    async with SQLiteStore(path) as store:
        assert await store.load("a.ipynb") == before
        assert await store.append("a.ipynb", b"next", "bob", []) == 5


async def test_numbering_survives_reopening_after_everything_was_pruned(tmp_path: Path) -> None:
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path) as store:
        for i in range(3):
            await store.append("a.ipynb", bytes([i]), "alice", [])
        await store.save_snapshot("a.ipynb", b"merged", 3)
        assert await store.prune("a.ipynb", 3) == 3
    async with SQLiteStore(path) as store:
        assert await store.append("a.ipynb", b"next", "alice", []) == 4


async def test_a_failed_commit_fails_every_append_of_its_batch_and_later_appends_work(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path, busy_timeout=0) as store:
        await store.append("a.ipynb", b"before", "alice", [1])
        # Another process takes the write lock: every commit fails until it lets go.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        results = await asyncio.gather(
            *(store.append("a.ipynb", bytes([i]), "bob", [10 + i]) for i in range(20)),
            return_exceptions=True,
        )
        assert all(isinstance(result, StoreError) for result in results), results
        assert "locked by another process" in str(results[0])
        assert "--store" in str(results[0])
        stats = store.stats()
        assert (stats.appends, stats.pending) == (1, 0)
        assert stats.failed_commits >= 1

        other.execute("ROLLBACK")
        other.close()
        assert await store.append("a.ipynb", b"after", "carol", [2]) == 2
        log = await store.load("a.ipynb")
        assert log is not None
        assert [r.update for r in log.updates] == [b"before", b"after"]
        assert log.claims == {1: "alice", 2: "carol"}


async def test_many_concurrent_appends_share_few_commits(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "pairbook.sqlite") as store:
        await asyncio.gather(*(store.append("a.ipynb", b"x", "alice", []) for _ in range(200)))
        stats = store.stats()
    assert stats.appends == 200
    assert stats.commits < 200


async def test_close_commits_the_appends_still_queued(tmp_path: Path) -> None:
    path = tmp_path / "pairbook.sqlite"
    store = SQLiteStore(path)
    await store.open()
    *seqs, _ = await asyncio.gather(
        *(store.append("a.ipynb", bytes([i]), "alice", []) for i in range(50)), store.close()
    )
    assert seqs == list(range(1, 51))
    async with SQLiteStore(path) as reopened:
        assert len(await reopened.records("a.ipynb")) == 50


async def test_close_checkpoints_the_write_ahead_log_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path) as store:
        await store.append("a.ipynb", b"x" * 100_000, "alice", [])
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM records").fetchone() == (1,)
    conn.close()


async def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path, synchronous="full") as store:
        await store.append("a.ipynb", b"x", "alice", [])
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


async def test_stats_report_the_latency_of_the_last_commit(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "pairbook.sqlite", timer=StepTimer()) as store:
        await store.append("a.ipynb", b"x", "alice", [])
        assert store.stats().last_commit_seconds == 0.25


async def test_a_store_in_a_missing_directory_says_what_to_do(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "missing" / "pairbook.sqlite")
    with pytest.raises(StoreError, match=r"missing does not exist; create it or pass --store"):
        await store.open()


async def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="it is a directory; pass --store with a file path"):
        await SQLiteStore(tmp_path).open()


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not the pages you are looking for\n" * 200)
    with pytest.raises(StoreError, match="not an SQLite database; pass --store"):
        await SQLiteStore(path).open()


async def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a pairbook store"):
        await SQLiteStore(path).open()


async def test_a_store_written_by_a_newer_pairbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"schema version is 99.*upgrade pairbook"):
        await SQLiteStore(path).open()


async def test_an_unknown_synchronous_mode_is_refused(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "pairbook.sqlite", synchronous="off")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="use one of normal, full"):
        await store.open()


async def test_a_closed_store_can_be_opened_again(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "pairbook.sqlite")
    async with store:
        await store.append("a.ipynb", b"x", "alice", [])
    async with store:
        assert await store.append("a.ipynb", b"y", "alice", []) == 2
        assert store.stats().appends == 2


async def test_a_version_1_store_is_migrated_and_keeps_its_log(tmp_path: Path) -> None:
    path = tmp_path / "pairbook.sqlite"
    async with SQLiteStore(path) as store:
        await store.append("a.ipynb", b"u1", "alice", [7])
    conn = sqlite3.connect(path)  # back to what pairbook 0.1 (schema version 1) wrote
    conn.execute("DROP TABLE events")
    conn.execute("DROP TABLE checkpoints")
    conn.execute("DROP TABLE fences")
    conn.execute("UPDATE schema_version SET version = 1")
    conn.commit()
    conn.close()
    async with SQLiteStore(path) as store:
        assert [r.update for r in await store.records("a.ipynb")] == [b"u1"]
        await store.save_checkpoint("a.ipynb", b"c1", 1)
        assert await store.checkpoint_seqs("a.ipynb") == [1]
        assert await store.raise_fence("a.ipynb", 3) == 0
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (3,)
    conn.close()
