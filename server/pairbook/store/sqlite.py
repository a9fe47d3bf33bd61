"""`SQLiteStore`: every room's log in one SQLite file (WAL), written with group commit."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from pairbook.errors import StoreError
from pairbook.store import queries
from pairbook.store.checkpointer import Checkpointer
from pairbook.store.connection import Role, Synchronous, connect, describe_error
from pairbook.store.lone import LONE_QUIET
from pairbook.store.queued import QueuedStore
from pairbook.store.rules import check_open
from pairbook.store.schema import ensure_schema
from pairbook.store.writer import Writer


class SQLiteStore(QueuedStore):
    """One SQLite file holding every room's log, for one server process at a time.

    Args:
        synchronous: "normal" survives a crash or kill -9 of the process; "full" also
            survives a power loss, at the price of one fsync per commit.
        busy_timeout: seconds to wait for a lock held by another process before failing.
    """

    sql: ClassVar[ModuleType] = queries

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "normal",
        busy_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(clock=clock, timer=timer)
        self.path = Path(path)
        self.synchronous: Synchronous = synchronous
        self._busy_timeout = busy_timeout
        self._writer: Writer | None = None
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, synchronous={self.synchronous!r})"

    # --- life ----------------------------------------------------------------------------

    async def _start(self) -> None:
        writer, self._reader = await asyncio.to_thread(self._connect)
        writer.start()
        self._writer = writer

    def _connect(self) -> tuple[Writer, sqlite3.Connection]:
        opened: list[sqlite3.Connection] = []

        def connect_as(role: Role) -> sqlite3.Connection:
            conn = connect(
                self.path, synchronous=self.synchronous, busy_timeout=self._busy_timeout, role=role
            )
            opened.append(conn)
            return conn

        try:
            conn = connect_as("writer")
            ensure_schema(conn, self.path)
            reader = connect_as("reader")
            checkpointer = Checkpointer(connect_as("checkpointer"))
        except BaseException:
            for each in opened:
                each.close()
            raise
        writer = Writer(
            conn,
            path=self.path,
            checkpointer=checkpointer,
            counters=self._counters,
            timer=self._timer,
            # A lone append is committed by the event loop itself: with synchronous=full that
            # would be an fsync on the loop, so there every append takes the thread.
            lone_quiet=LONE_QUIET if self.synchronous == "normal" else None,
        )
        return writer, reader

    async def _stop(self) -> None:
        """Commit everything queued, checkpoint the WAL and close."""
        assert self._writer is not None
        try:
            await self._writer.stop()
        finally:
            await asyncio.to_thread(self._close_reader)
            self._writer = None

    def _close_reader(self) -> None:
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    # --- the writer and the reader -------------------------------------------------------

    async def _read(self, run: Callable[..., Any], doing: str) -> Any:
        check_open(self._state, doing)

        def read() -> Any:
            with self._read_lock:
                if self._reader is None:
                    raise StoreError(f"cannot {doing}: the store was closed meanwhile; reopen it")
                try:
                    # One read transaction: a consistent view even while the writer commits.
                    self._reader.execute("BEGIN")
                    try:
                        return run(self._reader)
                    finally:
                        self._reader.execute("COMMIT")
                except sqlite3.Error as exc:
                    raise describe_error(exc, self.path, doing) from exc

        return await asyncio.to_thread(read)
