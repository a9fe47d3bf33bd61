"""The tables of a pairbook SQLite store, created on first open and checked on every open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pairbook.errors import StoreError
from pairbook.store.connection import describe_error

SCHEMA_VERSION = 3

_TABLES = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    # The log. "update" is an SQL keyword, hence quoted wherever it is named.
    """CREATE TABLE records (
        room TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts REAL NOT NULL,
        user_id TEXT NOT NULL,
        client_ids TEXT NOT NULL,
        "update" BLOB NOT NULL,
        PRIMARY KEY (room, seq)
    )""",
    # The newest snapshot of each room only.
    """CREATE TABLE snapshots (
        room TEXT PRIMARY KEY,
        upto_seq INTEGER NOT NULL,
        snapshot BLOB NOT NULL,
        ts REAL NOT NULL
    )""",
    """CREATE TABLE meta (
        room TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (room, key)
    )""",
    """CREATE TABLE claims (
        room TEXT NOT NULL,
        client_id INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (room, client_id)
    )""",
)

# Version 2 (issue #8, the recording): timeline events beside the log, replay checkpoints.
_RECORDING_TABLES = (
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts REAL NOT NULL,
        kind TEXT NOT NULL,
        user_id TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX events_by_room ON events (room, seq)",
    # The replay asks for a few kinds (recording switches, presence) among many events.
    "CREATE INDEX events_by_kind ON events (room, kind, seq)",
    """CREATE TABLE checkpoints (
        room TEXT NOT NULL,
        upto_seq INTEGER NOT NULL,
        ts REAL NOT NULL,
        snapshot BLOB NOT NULL,
        PRIMARY KEY (room, upto_seq)
    )""",
)
# Version 3 (issue #17, owners across processes): the token of each room's latest owner.
_FENCE_TABLES = ("CREATE TABLE fences (room TEXT PRIMARY KEY, token INTEGER NOT NULL)",)
_MIGRATIONS = {1: _RECORDING_TABLES, 2: _FENCE_TABLES}
"""Statements that take a store from version N to N + 1."""


def ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Create the tables in an empty file; refuse a file that is not a store we can read."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            _create_or_check(conn, path)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise describe_error(exc, path, "open store") from exc


def _create_or_check(conn: sqlite3.Connection, path: Path) -> None:
    tables = {
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if not tables:
        for statement in (*_TABLES, *_RECORDING_TABLES, *_FENCE_TABLES):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        return
    if "schema_version" not in tables:
        raise StoreError(
            f"cannot open store {path}: it is an SQLite database but not a pairbook store; "
            "pass --store with a pairbook store or a new path"
        )
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    version = row[0] if row else None
    while isinstance(version, int) and version in _MIGRATIONS:
        for statement in _MIGRATIONS[version]:
            conn.execute(statement)
        version += 1
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    if version != SCHEMA_VERSION:
        newer = isinstance(version, int) and version > SCHEMA_VERSION
        advice = "upgrade pairbook" if newer else "restore it from a backup"
        raise StoreError(
            f"cannot open store {path}: its schema version is {version}, this pairbook reads "
            f"version {SCHEMA_VERSION}; {advice} or pass --store with another path"
        )
