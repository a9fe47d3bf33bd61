"""`PostgresStore`: every room's log in PostgreSQL, shared by any number of pairbook processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, ClassVar

import psycopg
from psycopg import IsolationLevel
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from pairbook.errors import StoreError
from pairbook.store.postgres import queries
from pairbook.store.postgres.connection import (
    CONNECT_TIMEOUT,
    check_url,
    connect,
    connection_kwargs,
    describe_error,
    redact,
)
from pairbook.store.postgres.schema import ensure_schema
from pairbook.store.postgres.writer import Writer
from pairbook.store.queued import QueuedStore
from pairbook.store.rules import check_open


def check_text(*texts: str) -> None:
    """PostgreSQL text holds no NUL character and no lone surrogate: refuse them up front."""
    for text in texts:
        if "\x00" in text:
            raise ValueError(f"PostgreSQL text cannot hold a NUL character: {text!r}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{text!r} is not valid Unicode text: {exc.reason}") from None


class PostgresStore(QueuedStore):
    """Every room's log in one PostgreSQL database, for any number of pairbook processes.

    Writes go through one connection with group commit (see `Writer`); reads through a
    small pool, each in one read-only repeatable-read transaction.

    Args:
        url: postgresql://user:password@host:5432/database (any libpq URL parameter, e.g.
            `options=-csearch_path%3Dname` for a schema of one's own).
        write_timeout: seconds a batch of writes may take before its callers get StoreError.
        read_timeout: seconds one read may take.
        readers: most connections the read pool opens.
    """

    sql: ClassVar[ModuleType] = queries

    def __init__(
        self,
        url: str,
        *,
        write_timeout: float = 10.0,
        read_timeout: float = 30.0,
        readers: int = 4,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        check_url(url)
        super().__init__(clock=clock, timer=timer)
        self.url = url
        self._write_timeout = write_timeout
        self._read_timeout = read_timeout
        self._readers = readers
        self._writer: Writer | None = None
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] | None = None

    def __repr__(self) -> str:
        return f"PostgresStore({redact(self.url)!r})"

    # --- life ----------------------------------------------------------------------------

    async def _start(self) -> None:
        conn = await connect(self.url)
        try:
            await ensure_schema(conn, self.url)
            self._pool = await self._open_pool()
        except BaseException:
            await conn.close()
            raise
        self._writer = Writer(
            self.url, counters=self._counters, timer=self._timer, write_timeout=self._write_timeout
        )
        self._writer.start(conn)

    async def _open_pool(self) -> AsyncConnectionPool[psycopg.AsyncConnection[Any]]:
        pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            self.url,
            kwargs=connection_kwargs(self.url),
            min_size=1,
            max_size=self._readers,
            open=False,
            configure=_configure_reader,
            name="pairbook-store-readers",
            timeout=CONNECT_TIMEOUT,
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, psycopg.Error):
                raise describe_error(exc, self.url, "open store") from exc
            raise
        return pool

    async def _stop(self) -> None:
        """Commit everything queued and close the connections."""
        try:
            if self._writer is not None:
                await self._writer.stop()
        finally:
            if self._pool is not None:
                await self._pool.close()
            self._writer = self._pool = None

    # --- the writer and the readers ------------------------------------------------------

    def _check_append(self, room: str, user_id: str) -> None:
        check_text(room, user_id)

    async def _read(self, run: Callable[..., Any], doing: str) -> Any:
        check_open(self._state, doing)
        assert self._pool is not None
        # A read is tried twice: a pooled connection the server closed since its last use
        # fails once, and the pool replaces it.
        for attempt in (1, 2):
            try:
                async with asyncio.timeout(self._read_timeout):
                    async with self._pool.connection() as conn, conn.transaction():
                        return await run(conn)
            except PoolTimeout as exc:
                raise describe_error(exc, self.url, doing) from exc
            except psycopg.OperationalError as exc:
                if attempt == 2:
                    raise describe_error(exc, self.url, doing) from exc
            except psycopg.Error as exc:
                raise describe_error(exc, self.url, doing) from exc
            except TimeoutError as exc:
                raise StoreError(
                    f"cannot {doing} {redact(self.url)}: PostgreSQL did not answer within "
                    f"{self._read_timeout:g} s; check that it runs and is not locked up"
                ) from exc
        raise AssertionError("unreachable")


async def _configure_reader(conn: psycopg.AsyncConnection[Any]) -> None:
    # One consistent view a read: load() reads the snapshot and the records after it.
    await conn.set_isolation_level(IsolationLevel.REPEATABLE_READ)
    await conn.set_read_only(True)
