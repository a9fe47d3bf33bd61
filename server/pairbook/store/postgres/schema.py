"""The tables of a pairbook PostgreSQL store, created on first open and checked on every open.

Every table name starts with `pairbook_`, so the store can share a database (or a schema,
chosen with the URL's `options=-csearch_path%3Dname`) with other applications. Room names
sort as Python sorts them (`COLLATE "C"`), whatever the database's locale.
"""

from __future__ import annotations

from typing import Any

import psycopg

from pairbook.errors import StoreError
from pairbook.store.postgres.connection import describe_error, redact

SCHEMA_VERSION = 2

SCHEMA_LOCK = 0x70616972626F6F6B  # "pairbook": one process creates or migrates at a time
"""The advisory lock key held while the tables are created or migrated."""

_TABLES = (
    "CREATE TABLE pairbook_schema_version (version INTEGER NOT NULL)",
    # One row a room: the seq of its newest record. Appends take the row's lock until they
    # commit, so processes appending to one room number their records one after the other
    # with no gap, and a rolled-back append gives its numbers back.
    """CREATE TABLE pairbook_logs (
        room TEXT COLLATE "C" PRIMARY KEY,
        last_seq BIGINT NOT NULL
    )""",
    """CREATE TABLE pairbook_records (
        room TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        ts DOUBLE PRECISION NOT NULL,
        user_id TEXT NOT NULL,
        client_ids BIGINT[] NOT NULL,
        "update" BYTEA NOT NULL,
        PRIMARY KEY (room, seq)
    )""",
    """CREATE TABLE pairbook_snapshots (
        room TEXT COLLATE "C" PRIMARY KEY,
        upto_seq BIGINT NOT NULL,
        snapshot BYTEA NOT NULL,
        ts DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE pairbook_meta (
        room TEXT COLLATE "C" NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (room, key)
    )""",
    """CREATE TABLE pairbook_claims (
        room TEXT COLLATE "C" NOT NULL,
        client_id BIGINT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (room, client_id)
    )""",
    """CREATE TABLE pairbook_events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        room TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        ts DOUBLE PRECISION NOT NULL,
        kind TEXT NOT NULL,
        user_id TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX pairbook_events_by_room ON pairbook_events (room, seq)",
    # The replay asks for a few kinds (recording switches, presence) among many events.
    "CREATE INDEX pairbook_events_by_kind ON pairbook_events (room, kind, seq)",
    """CREATE TABLE pairbook_checkpoints (
        room TEXT COLLATE "C" NOT NULL,
        upto_seq BIGINT NOT NULL,
        ts DOUBLE PRECISION NOT NULL,
        snapshot BYTEA NOT NULL,
        PRIMARY KEY (room, upto_seq)
    )""",
)

# Version 2 (owners across processes): the token of each room's latest owner. Fenced appends
# lock the room's row until they commit, so an owner's write and a later owner's raising of
# the fence never interleave.
_FENCES = (
    """CREATE TABLE pairbook_fences (
        room TEXT COLLATE "C" PRIMARY KEY,
        token BIGINT NOT NULL
    )""",
)

_MIGRATIONS: dict[int, tuple[str, ...]] = {1: _FENCES}
"""Statements that take a store from version N to N + 1."""


async def ensure_schema(conn: psycopg.AsyncConnection[Any], url: str) -> None:
    """Create the tables in a database without them; refuse one we cannot read."""
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            await _check_encoding(conn, url)
            await _create_or_migrate(conn, url)
    except psycopg.Error as exc:
        raise describe_error(exc, url, "open store") from exc


async def _check_encoding(conn: psycopg.AsyncConnection[Any], url: str) -> None:
    cursor = await conn.execute("SHOW server_encoding")
    row = await cursor.fetchone()
    if row is None or row[0].upper() not in ("UTF8", "UTF-8"):
        raise StoreError(
            f"cannot open store {redact(url)}: the database's encoding is {row and row[0]}, "
            "pairbook needs UTF8; create it with `createdb -E UTF8 -T template0 NAME`"
        )


async def _create_or_migrate(conn: psycopg.AsyncConnection[Any], url: str) -> None:
    cursor = await conn.execute("SELECT to_regclass('pairbook_schema_version') IS NOT NULL")
    row = await cursor.fetchone()
    if not (row and row[0]):
        for statement in (*_TABLES, *_FENCES):
            await conn.execute(statement)
        await conn.execute(
            "INSERT INTO pairbook_schema_version (version) VALUES (%s)", (SCHEMA_VERSION,)
        )
        return
    cursor = await conn.execute("SELECT MAX(version) FROM pairbook_schema_version")
    row = await cursor.fetchone()
    version = row[0] if row else None
    while isinstance(version, int) and version in _MIGRATIONS:
        for statement in _MIGRATIONS[version]:
            await conn.execute(statement)
        version += 1
        await conn.execute("INSERT INTO pairbook_schema_version (version) VALUES (%s)", (version,))
    if version != SCHEMA_VERSION:
        newer = isinstance(version, int) and version > SCHEMA_VERSION
        advice = "upgrade pairbook" if newer else "restore it from a backup"
        raise StoreError(
            f"cannot open store {redact(url)}: its schema version is {version}, this pairbook "
            f"reads version {SCHEMA_VERSION}; {advice} or pass --store with another database"
        )
