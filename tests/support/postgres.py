"""A fresh PostgreSQL schema or database per test, on the machine's real server.

PAIRBOOK_TEST_POSTGRES names the server and database to create them in (default: the
`test` database on 127.0.0.1:5432, trust auth, as on these machines and in CI).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

POSTGRES = os.environ.get("PAIRBOOK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def admin() -> psycopg.Connection[tuple[object, ...]]:
    """A connection to the tests' database, for setting up and tearing down."""
    return psycopg.connect(POSTGRES, autocommit=True, application_name="pairbook-tests")


def in_schema(url: str, schema: str) -> str:
    """The URL with the schema as its search_path (libpq's `options` parameter)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def in_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def unique_name() -> str:
    return f"pairbook_test_{uuid.uuid4().hex[:12]}"


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A store URL on a new, empty schema of the tests' database, dropped afterwards."""
    name = unique_name()
    with admin() as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield in_schema(POSTGRES, name)
    finally:
        with admin() as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


@contextmanager
def fresh_database() -> Iterator[str]:
    """A store URL on a new, empty database, dropped afterwards (its sessions ended)."""
    name = unique_name()
    with admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield in_database(POSTGRES, name)
    finally:
        with admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def terminate_sessions(database: str) -> int:
    """End every session connected to `database` (pg_terminate_backend); how many were."""
    with admin() as conn:
        rows = conn.execute(
            # Waits (up to 10 s) until each session has ended, not only been asked to.
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


def allow_connections(database: str, allowed: bool) -> None:
    """Let sessions into `database` or not: with False (and its sessions terminated) the
    database is unavailable to pairbook as if its server had gone away."""
    with admin() as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(database), sql.Literal(allowed)
            )
        )


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def wait_for_meta(url: str, room: str, key: str, timeout: float = 60.0) -> None:
    """Wait until the store at `url` holds `key` of `room`'s meta (e.g. a room built from
    its file has logged its base once it holds its history id)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with psycopg.connect(url) as conn:
            found = conn.execute(
                "SELECT 1 FROM pairbook_meta WHERE room = %s AND key = %s", (room, key)
            ).fetchone()
        if found is not None:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{room} never had {key} in its log's meta")
        await asyncio.sleep(0.05)
