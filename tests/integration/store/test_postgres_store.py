"""What PostgresStore does beyond the shared contract: lost connections, an unavailable
server, opening, schema versions, text PostgreSQL cannot hold, writers in parallel."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest

from pairbook.errors import StoreError
from pairbook.store.postgres import PostgresStore
from pairbook.store.postgres.connection import connect
from pairbook.store.postgres.schema import SCHEMA_VERSION
from support.postgres import (
    POSTGRES,
    allow_connections,
    database_of,
    fresh_database,
    in_database,
    in_schema,
    terminate_sessions,
)
from support.server import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def database_url() -> Iterator[str]:
    """A store URL on a new, empty database of its own (so its sessions can be ended)."""
    with fresh_database() as url:
        yield url


async def test_a_terminated_session_is_replaced_before_the_next_write_and_read(
    database_url: str,
) -> None:
    async with PostgresStore(database_url) as store:
        assert await store.append("a.ipynb", b"1", "alice", [1]) == 1
        assert terminate_sessions(database_of(database_url)) >= 2  # the writer and a reader
        assert await store.append("a.ipynb", b"2", "alice", [1]) == 2
        assert [r.update for r in await store.records("a.ipynb")] == [b"1", b"2"]
        assert store.stats().failed_commits == 0


async def waiting_for_a_lock(conn: psycopg.AsyncConnection[Any]) -> bool:
    cursor = await conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )
    row = await cursor.fetchone()
    return bool(row and row[0])


@contextlib.asynccontextmanager
async def an_append_waiting_for_the_room_lock(
    store: PostgresStore, url: str, update: bytes
) -> AsyncIterator[tuple[psycopg.AsyncConnection[Any], asyncio.Future[int]]]:
    """Another connection holding a.ipynb's numbering row, and an append of `update` waiting
    for it in mid-statement; the holder rolls back once the block is done."""
    async with await psycopg.AsyncConnection.connect(url) as locker:
        await locker.execute("SELECT * FROM pairbook_logs WHERE room = 'a.ipynb' FOR UPDATE")
        waiting = asyncio.ensure_future(store.append("a.ipynb", update, "alice", [1]))
        for _ in range(1000):  # PostgreSQL tells no one that a lock is awaited: ask it
            if await waiting_for_a_lock(locker):
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the append never waited for the room's lock")
        yield locker, waiting
        await locker.rollback()


async def test_a_connection_lost_during_a_write_fails_it_and_the_next_one_reconnects(
    database_url: str,
) -> None:
    async with PostgresStore(database_url) as store:
        await store.append("a.ipynb", b"1", "alice", [1])
        waiting = an_append_waiting_for_the_room_lock(store, database_url, b"lost")
        async with waiting as (locker, lost):
            await locker.execute(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            with pytest.raises(StoreError, match=r"ended the session.*connects again"):
                await lost
        assert await store.append("a.ipynb", b"2", "alice", [1]) == 2
        assert [r.update for r in await store.records("a.ipynb")] == [b"1", b"2"]
        assert store.stats().failed_commits == 1


async def test_an_unavailable_database_fails_writes_and_reads_until_it_is_back(
    database_url: str,
) -> None:
    database = database_of(database_url)
    async with PostgresStore(database_url, write_timeout=20) as store:
        await store.append("a.ipynb", b"1", "alice", [1])
        allow_connections(database, False)
        try:
            terminate_sessions(database)
            for attempt in range(2):  # the lost connection, then a refused reconnect
                with pytest.raises(StoreError, match=r"cannot (write|connect) to store"):
                    await store.append("a.ipynb", f"refused {attempt}".encode(), "alice", [1])
                # An append made before the failed one's caller has had a turn is refused as
                # made on top of it (Successors.told): the retry comes a turn later.
                await asyncio.sleep(0)
            with pytest.raises(StoreError, match="cannot load room"):
                await store.load("a.ipynb")
        finally:
            allow_connections(database, True)
        assert await store.append("a.ipynb", b"2", "alice", [1]) == 2
        log = await store.load("a.ipynb")
        assert log is not None
        assert [(r.seq, r.update) for r in log.updates] == [(1, b"1"), (2, b"2")]


async def test_a_server_that_cannot_be_reached_fails_the_open_with_advice() -> None:
    url = f"postgresql://pairbook:s3cret@127.0.0.1:{free_port()}/pairbook"
    with pytest.raises(StoreError, match="PostgreSQL cannot be reached; is it running") as caught:
        async with PostgresStore(url):
            pass
    assert "s3cret" not in str(caught.value)
    assert "pairbook:***@127.0.0.1" in str(caught.value)


async def test_a_database_that_does_not_exist_is_named_in_the_error() -> None:
    url = in_database(POSTGRES, "pairbook_no_such_database")
    with pytest.raises(StoreError, match="the database does not exist; create it"):
        async with PostgresStore(url):
            pass


async def test_a_schema_named_in_the_url_that_does_not_exist_is_named_in_the_error() -> None:
    url = in_schema(POSTGRES, "pairbook_no_such_schema")
    with pytest.raises(StoreError, match="search_path does not exist; create it"):
        async with PostgresStore(url):
            pass


async def test_a_store_written_by_a_newer_pairbook_is_refused(postgres_url: str) -> None:
    async with PostgresStore(postgres_url) as store:
        await store.append("a.ipynb", b"1", "alice", [])
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("INSERT INTO pairbook_schema_version (version) VALUES (99)")
    with pytest.raises(StoreError, match=r"schema version is 99.*upgrade pairbook"):
        async with PostgresStore(postgres_url):
            pass


async def test_processes_opening_an_empty_schema_at_once_both_get_one_set_of_tables(
    postgres_url: str,
) -> None:
    stores = [PostgresStore(postgres_url) for _ in range(3)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        seqs = await asyncio.gather(*(s.append("a.ipynb", b"x", "alice", []) for s in stores))
        assert sorted(seqs) == [1, 2, 3]
    finally:
        await asyncio.gather(*(store.close() for store in stores))
    async with await psycopg.AsyncConnection.connect(postgres_url) as conn:
        cursor = await conn.execute("SELECT version FROM pairbook_schema_version")
        assert await cursor.fetchall() == [(SCHEMA_VERSION,)]


async def test_writers_in_parallel_on_many_rooms_never_deadlock_nor_leave_gaps(
    postgres_url: str,
) -> None:
    rooms = [f"r{i}.ipynb" for i in range(8)]
    async with PostgresStore(postgres_url) as first, PostgresStore(postgres_url) as second:

        async def append_all(store: PostgresStore, order: list[str], tag: bytes) -> None:
            for _ in range(5):  # each round is one batch over every room, in this order
                await asyncio.gather(*(store.append(room, tag, "u", []) for room in order))

        await asyncio.gather(
            append_all(first, rooms, b"first"), append_all(second, rooms[::-1], b"second")
        )
        assert first.stats().failed_commits == second.stats().failed_commits == 0
        for room in rooms:
            records = await first.records(room)
            assert [r.seq for r in records] == list(range(1, 11))
            assert sorted(r.update for r in records) == [b"first"] * 5 + [b"second"] * 5


async def test_text_postgresql_cannot_hold_is_refused_and_the_writes_around_it_stand(
    postgres_url: str,
) -> None:
    async with PostgresStore(postgres_url) as store:
        with pytest.raises(ValueError, match="NUL"):
            await store.append("a\x00.ipynb", b"x", "alice", [])
        with pytest.raises(ValueError, match="not valid Unicode"):
            await store.append("a.ipynb", b"x", "\ud800", [])
        results = await asyncio.gather(
            store.append("a.ipynb", b"1", "alice", []),
            store.set_meta("a.ipynb", "history_id", "h\x00"),
            store.append("a.ipynb", b"2", "alice", []),
            return_exceptions=True,
        )
        assert results[0] == 1
        assert isinstance(results[1], StoreError)
        assert results[2] == 2
        with pytest.raises(StoreError, match="cannot load room"):
            await store.load("\x00")
        log = await store.load("a.ipynb")
        assert log is not None
        assert (log.meta, [r.update for r in log.updates]) == ({}, [b"1", b"2"])


async def test_a_session_whose_server_default_is_not_durable_commits_durably(
    postgres_url: str,
) -> None:
    url = f"{postgres_url}%20-csynchronous_commit%3Doff"
    conn = await connect(url)
    try:
        cursor = await conn.execute("SHOW synchronous_commit")
        assert await cursor.fetchone() == ("on",)
    finally:
        await conn.close()


async def test_a_version_1_store_is_migrated_and_keeps_its_log(postgres_url: str) -> None:
    async with PostgresStore(postgres_url) as store:
        await store.append("a.ipynb", b"u1", "alice", [7])
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("DROP TABLE pairbook_fences")  # as pairbook wrote schema version 1
        await conn.execute("UPDATE pairbook_schema_version SET version = 1")
    async with PostgresStore(postgres_url) as store:
        assert [r.update for r in await store.records("a.ipynb")] == [b"u1"]
        assert await store.raise_fence("a.ipynb", 2) == 0
    async with await psycopg.AsyncConnection.connect(postgres_url) as conn:
        cursor = await conn.execute("SELECT MAX(version) FROM pairbook_schema_version")
        assert await cursor.fetchone() == (SCHEMA_VERSION,)


async def test_appends_queued_behind_a_batch_fail_when_the_writer_task_dies(
    database_url: str,
) -> None:
    async with PostgresStore(database_url) as store:
        await store.append("a.ipynb", b"1", "alice", [1])
        waiting = an_append_waiting_for_the_room_lock(store, database_url, b"in the batch")
        async with waiting as (_, batch):
            queued = store.append_soon("a.ipynb", b"queued behind it", "alice", (1,))
            assert isinstance(queued, asyncio.Future)  # the writer's future
            task = store._writer._task  # type: ignore[union-attr]  # the writer, as it runs
            assert task is not None
            task.cancel()  # the writer task ends in mid-batch (as any error it did not expect)
            with pytest.raises(asyncio.CancelledError):
                await task
            with pytest.raises(StoreError, match="store was closed"):
                await batch
            # Settled as the writer went, not left waiting for a writer that is gone.
            assert queued.done()
            with pytest.raises(StoreError, match="store was closed"):
                await queued
            with pytest.raises(StoreError, match="writer is not running"):
                await store.append("a.ipynb", b"after it", "alice", [1])
        await store.close()  # nothing left to commit: its writer's jobs were all settled
