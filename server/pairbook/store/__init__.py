"""Persistence: the durable per-room log of Yjs updates, snapshots, meta and client claims.

`store` knows bytes and records, not websockets or documents: merging updates into a
snapshot is the caller's job. Back ends are picked by URL with `open_store`.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pairbook.errors import StoreError
from pairbook.store.connection import SYNCHRONOUS_MODES, Synchronous
from pairbook.store.memory import MemoryStore
from pairbook.store.port import Store
from pairbook.store.records import RoomLog, StoreStats, UpdateRecord
from pairbook.store.sqlite import SQLiteStore

__all__ = [
    "MemoryStore",
    "RoomLog",
    "SQLiteStore",
    "Store",
    "StoreStats",
    "Synchronous",
    "UpdateRecord",
    "open_store",
]

ACCEPTED = (
    "memory://, sqlite:///relative/path, sqlite:////absolute/path, a file path or "
    "postgresql://user@host:5432/database"
)
_POSTGRES = ("postgresql", "postgres")


def sqlite_path_of(url_or_path: str | os.PathLike[str]) -> Path | None:
    """The absolute path of the SQLite file a store URL or path names (None: not SQLite)."""
    text = os.fspath(url_or_path)
    if "://" not in text:
        path = text
    elif text.lower().startswith("sqlite:///"):
        path = text[len("sqlite:///") :].split("?", 1)[0]
    else:
        return None
    return Path(path).resolve() if path else None


def open_store(
    url_or_path: str | os.PathLike[str], *, synchronous: Synchronous | None = None
) -> Store:
    """The store a URL or path names, not yet opened (use `async with open_store(...) as store`).

    `memory://` keeps everything in this process; a file path or `sqlite:///path` (SQLAlchemy
    style: four slashes for an absolute path) is an SQLite file. `?synchronous=full` in the
    URL, or the `synchronous` argument, trades append latency for surviving power loss.
    `postgresql://` (or `postgres://`) is a PostgreSQL database that several pairbook
    processes share; its appends are durable whatever `synchronous` says.
    """
    text = os.fspath(url_or_path)
    if "://" not in text:
        return SQLiteStore(text, synchronous=synchronous or "normal")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return MemoryStore()
    if scheme == "sqlite":
        path = text[len("sqlite:///") :].split("?", 1)[0] if text.startswith("sqlite:///") else ""
        if not path:
            raise StoreError(f"store URL {text!r} names no file; write it as {ACCEPTED}")
        return SQLiteStore(path, synchronous=synchronous or _synchronous_in(parts.query, text))
    if scheme in _POSTGRES:
        from pairbook.store.postgres import PostgresStore  # psycopg only when it is asked for

        return PostgresStore(text)
    if scheme in ("redis", "rediss"):
        raise StoreError(
            f"store URL {scheme}://… : Redis relays rooms between processes, it does not keep "
            f"the log; pass --store postgresql://user@host:5432/database (or {ACCEPTED})"
        )
    raise StoreError(f"unknown store URL scheme {scheme!r} in {text!r}; use {ACCEPTED}")


def _synchronous_in(query: str, text: str) -> Synchronous:
    values = parse_qs(query).get("synchronous", ["normal"])
    value = values[-1].lower()
    if value == "normal":
        return "normal"
    if value == "full":
        return "full"
    raise StoreError(
        f"store URL {text!r}: synchronous={value!r} is not one of {', '.join(SYNCHRONOUS_MODES)}"
    )
