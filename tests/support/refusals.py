"""Making a real store refuse some appends (a trigger, as a full disk or a broken row would),
and holding its writes back while a batch queues: for the group-commit back ends' tests."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from pairbook.store import SQLiteStore, Store
from pairbook.store.postgres import PostgresStore

_SQLITE_REFUSE = (
    "CREATE TRIGGER refuse_{n} BEFORE INSERT ON records WHEN NEW.room = ? {extra}"
    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
)
_POSTGRES_FUNCTION = (
    "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger AS "
    "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"
)
_POSTGRES_REFUSE = (
    "CREATE TRIGGER refuse_{n} BEFORE INSERT ON pairbook_records FOR EACH ROW "
    "WHEN (NEW.room = {room} {extra}) EXECUTE FUNCTION refuse()"
)


def batched(store: Store) -> None:
    """Skip a test of batches for a store that writes one append at a time (memory)."""
    if not isinstance(store, SQLiteStore | PostgresStore):
        pytest.skip("the memory store writes each append alone: it has no batch to share")


def refuse_appends(store: Store, room: str, update: bytes | None = None) -> None:
    """From now on the store's database refuses the room's appends (of `update` only, if
    given) with an error of that row, not of the connection."""
    n = abs(hash((room, update))) % 10**9
    if isinstance(store, SQLiteStore):
        # sqlite3 binds no parameters in DDL: the values go in as literals
        extra = f"AND NEW.\"update\" = X'{update.hex()}' " if update is not None else ""
        sql = _SQLITE_REFUSE.format(n=n, extra=extra).replace("?", _quote(room), 1)
        with sqlite3.connect(store.path) as conn:
            conn.execute(sql)
        return
    assert isinstance(store, PostgresStore)
    extra = 'AND NEW."update" = \'\\x' + update.hex() + "'::bytea" if update is not None else ""
    with psycopg.connect(store.url, autocommit=True) as conn:
        conn.execute(_POSTGRES_FUNCTION)
        conn.execute(_POSTGRES_REFUSE.format(n=n, room=_quote(room), extra=extra))


@contextmanager
def writes_held(store: Store) -> Iterator[None]:
    """Another session holds the store's write lock until the block ends: the appends queued
    meanwhile wait and are then written together."""
    if isinstance(store, SQLiteStore):
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.url) as conn:
        conn.execute("LOCK TABLE pairbook_logs IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


async def taken(store: Store) -> None:
    """Wait until writes are pending and the store's writer has taken every one into a
    batch (with `writes_held`, that batch then waits for the lock)."""
    writer: Any = getattr(store, "_writer", None)
    for _ in range(10_000):
        queue = writer._queue
        queued = queue.qsize() if hasattr(queue, "qsize") else len(queue)
        if store.stats().pending and not queued:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the writer never took the queued writes")
