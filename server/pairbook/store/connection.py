"""Opening SQLite connections the way the store needs them, and saying what went wrong."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Literal, get_args

from pairbook.errors import StoreError

Synchronous = Literal["normal", "full"]
"""normal: survives a crash or kill -9 of the process; full: also survives power loss."""

SYNCHRONOUS_MODES: tuple[str, ...] = get_args(Synchronous)

Role = Literal["writer", "reader", "checkpointer"]

WAL_SIZE_LIMIT = 32 * 1024 * 1024
"""Bytes a write-ahead log file is truncated to when SQLite starts it over."""

_ADVICE = {
    "SQLITE_BUSY": "the file is locked by another process (another pairbook on the same store?); "
    "stop it or pass --store with another path",
    "SQLITE_LOCKED": "the file is locked by another connection; stop it and retry",
    "SQLITE_CANTOPEN": "the file cannot be opened; pass --store with a writable path",
    "SQLITE_NOTADB": "the file is not an SQLite database; pass --store with a pairbook store "
    "or a new path",
    "SQLITE_CORRUPT": "the file is corrupt; restore it from a backup or pass --store with a "
    "new path",
    "SQLITE_FULL": "the disk is full; free some space and retry",
    "SQLITE_READONLY": "the file is read-only; make it writable or pass --store with a "
    "writable path",
    "SQLITE_PERM": "permission denied; make the file writable or pass --store with a writable path",
    "SQLITE_IOERR": "the disk reported an I/O error; check the disk and retry",
}


def describe_error(exc: sqlite3.Error, path: Path, doing: str) -> StoreError:
    """A StoreError saying what failed on which file and what to do about it."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    primary = "_".join(name.split("_")[:2])  # SQLITE_IOERR_WRITE -> SQLITE_IOERR
    advice = _ADVICE.get(primary)
    if advice is None and isinstance(exc, sqlite3.ProgrammingError):
        advice = "the store's connection is closed; reopen the store"
    if advice is None:
        advice = "check the file and the disk, or pass --store with another path"
    return StoreError(f"cannot {doing} {path}: {exc}; {advice}")


def describe_write_error(exc: Exception, path: Path) -> StoreError:
    """The StoreError for a failed write: SQLite's own error, or a bug of pairbook's."""
    if isinstance(exc, sqlite3.Error):
        return describe_error(exc, path, "write to store")
    error = StoreError(
        f"cannot write to store {path}: unexpected {exc!r}; this is a pairbook bug, please "
        "report it"
    )
    error.__cause__ = exc
    return error


def refused_a_row(exc: BaseException) -> bool:
    """Whether SQLite refused a row (a constraint or trigger, a value too big) rather than
    the transaction (a lock, the disk, the file): only the first can fail one write alone."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


def check_path(path: Path) -> None:
    """Refuse early, and clearly, a path SQLite could only answer 'unable to open' for."""
    parent = path.parent
    if not parent.exists():
        raise StoreError(
            f"cannot open store {path}: directory {parent} does not exist; "
            "create it or pass --store with a writable path"
        )
    if not parent.is_dir():
        raise StoreError(
            f"cannot open store {path}: {parent} is not a directory; "
            "pass --store with a writable path"
        )
    if path.is_dir():
        raise StoreError(
            f"cannot open store {path}: it is a directory; pass --store with a file path "
            f"such as {path / 'pairbook.sqlite'}"
        )


def keep_private(path: Path) -> None:
    """The log (and its WAL, which keeps deleted text for a while) readable by its owner
    only: created 0600, and made 0600 if an older pairbook left it 0644. SQLite gives the
    -wal and -shm files it creates the database file's mode."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        for file in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            if file.exists() and file.stat().st_mode & 0o077:
                file.chmod(0o600)
    except OSError as exc:
        raise StoreError(
            f"cannot open store {path}: {exc.strerror}; is its folder writable by you?"
        ) from exc


def connect(
    path: Path, *, synchronous: Synchronous, busy_timeout: float, role: Role
) -> sqlite3.Connection:
    """A WAL-mode connection in autocommit mode (transactions are explicit), usable by any thread.

    The caller guarantees that one thread at a time uses it.
    """
    if synchronous not in SYNCHRONOUS_MODES:
        raise StoreError(
            f"unknown synchronous mode {synchronous!r}; use one of {', '.join(SYNCHRONOUS_MODES)}"
        )
    check_path(path)
    if role == "writer":
        keep_private(path)
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise describe_error(exc, path, "open store") from exc
    try:
        (mode,) = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode != "wal":
            raise StoreError(
                f"cannot open store {path}: SQLite refused write-ahead logging (journal mode "
                f"{mode!r}); put the store on a local filesystem"
            )
        conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        if role == "writer":
            # The Checkpointer checkpoints, so that no COMMIT waits for a checkpoint.
            conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        elif role == "reader":
            conn.execute("PRAGMA query_only=ON")
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise describe_error(exc, path, "open store") from exc
        raise
    return conn
