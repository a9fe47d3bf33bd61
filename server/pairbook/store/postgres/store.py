"""`PostgresStore`: every room's log in PostgreSQL, shared by any number of pairbook processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

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
from pairbook.store.records import (
    Checkpoint,
    EventKinds,
    EventRecord,
    RoomLog,
    Stamp,
    StoreStats,
    UpdateRecord,
)
from pairbook.store.rules import (
    OpenedByWith,
    StoreState,
    check_client_ids,
    check_closed,
    check_limit,
    check_open,
    check_update,
)
from pairbook.store.writer import Counters

T = TypeVar("T")
Connection = queries.Connection
Read = Callable[[Connection], Awaitable[T]]


def check_text(*texts: str) -> None:
    """PostgreSQL text holds no NUL character and no lone surrogate: refuse them up front."""
    for text in texts:
        if "\x00" in text:
            raise ValueError(f"PostgreSQL text cannot hold a NUL character: {text!r}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{text!r} is not valid Unicode text: {exc.reason}") from None


class PostgresStore(OpenedByWith):
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
        self.url = url
        self._write_timeout = write_timeout
        self._read_timeout = read_timeout
        self._readers = readers
        self._clock = clock
        self._timer = timer
        self._state = StoreState.CLOSED
        self._counters = Counters()
        self._writer: Writer | None = None
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] | None = None
        self._stopped: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"PostgresStore({redact(self.url)!r})"

    # --- life ----------------------------------------------------------------------------

    async def open(self) -> None:
        check_closed(self._state)
        self._state = StoreState.OPENING
        try:
            conn = await connect(self.url)
            try:
                await ensure_schema(conn, self.url)
                self._pool = await self._open_pool()
            except BaseException:
                await conn.close()
                raise
        except BaseException:
            self._state = StoreState.CLOSED
            raise
        self._writer = Writer(
            self.url, counters=self._counters, timer=self._timer, write_timeout=self._write_timeout
        )
        self._writer.start(conn)
        self._state = StoreState.OPEN

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

    async def close(self) -> None:
        """Commit everything queued and close the connections. Closing twice is harmless."""
        if self._state is StoreState.CLOSING and self._stopped is not None:
            await asyncio.shield(self._stopped)
            return
        if self._state is not StoreState.OPEN:
            return
        self._state = StoreState.CLOSING
        # Shielded: a cancelled close() must not cancel the writer's last commit.
        self._stopped = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopped)

    async def _stop(self) -> None:
        try:
            if self._writer is not None:
                await self._writer.stop()
        finally:
            if self._pool is not None:
                await self._pool.close()
            self._writer = self._pool = None
            self._state = StoreState.CLOSED

    # --- writes --------------------------------------------------------------------------

    async def append(
        self, room: str, update: bytes, user_id: str, client_ids: Sequence[int]
    ) -> int:
        check_open(self._state, f"append to room {room!r}")
        assert self._writer is not None
        update = check_update(update)
        ids = check_client_ids(client_ids)
        check_text(room, user_id)
        return await self._writer.append(room, update, user_id, ids, self._clock())

    async def save_snapshot(self, room: str, snapshot: bytes, upto_seq: int) -> None:
        save = partial(
            queries.save_snapshot, room=room, snapshot=check_update(snapshot),
            upto_seq=upto_seq, ts=self._clock(),
        )  # fmt: skip
        await self._write(save, f"save a snapshot of room {room!r}")

    async def prune(self, room: str, upto_seq: int) -> int:
        run = partial(queries.prune, room=room, upto_seq=upto_seq)
        return await self._write(run, f"prune room {room!r}")

    async def set_meta(self, room: str, key: str, value: str) -> None:
        run = partial(queries.set_meta, room=room, key=key, value=value)
        await self._write(run, f"set meta {key!r} of room {room!r}")

    async def claim(self, room: str, client_id: int, user_id: str) -> None:
        (client_id,) = check_client_ids((client_id,))
        run = partial(queries.claim, room=room, client_id=client_id, user_id=user_id)
        await self._write(run, f"claim client {client_id} in room {room!r}")

    async def drop_room(self, room: str) -> None:
        await self._write(partial(queries.drop_room, room=room), f"drop room {room!r}")

    async def append_events(self, room: str, events: Sequence[EventRecord]) -> None:
        if events:
            run = partial(queries.append_events, room=room, events=list(events))
            await self._write(run, f"append events to room {room!r}")

    async def save_checkpoint(self, room: str, snapshot: bytes, upto_seq: int) -> None:
        save = partial(
            queries.save_snapshot, room=room, snapshot=check_update(snapshot),
            upto_seq=upto_seq, ts=self._clock(), checkpoint=True,
        )  # fmt: skip
        await self._write(save, f"save a checkpoint of room {room!r}")

    async def prune_recording(self, room: str, upto_seq: int) -> int:
        run = partial(queries.prune, room=room, upto_seq=upto_seq, recording=True)
        return await self._write(run, f"prune the recording of room {room!r}")

    async def _write(self, run: Callable[[Connection], Awaitable[T]], doing: str) -> T:
        check_open(self._state, doing)
        assert self._writer is not None
        return await self._writer.submit(run)

    # --- reads ---------------------------------------------------------------------------

    async def load(self, room: str) -> RoomLog | None:
        return await self._read(partial(queries.load_room, room=room), f"load room {room!r}")

    async def records(
        self, room: str, after_seq: int = 0, limit: int | None = None
    ) -> list[UpdateRecord]:
        check_limit(limit)
        run = partial(queries.select_records, room=room, after_seq=after_seq, limit=limit)
        return await self._read(run, f"read records of room {room!r}")

    async def rooms(self) -> list[str]:
        return await self._read(queries.select_rooms, "list rooms")

    async def events(
        self, room: str, first_seq: int = 0, last_seq: int | None = None, kinds: EventKinds = None
    ) -> list[EventRecord]:
        run = partial(
            queries.select_events, room=room, first_seq=first_seq, last_seq=last_seq, kinds=kinds
        )
        return await self._read(run, f"read events of room {room!r}")

    async def checkpoint(self, room: str, at_most_seq: int) -> Checkpoint | None:
        run = partial(queries.find_checkpoint, room=room, at_most_seq=at_most_seq)
        return await self._read(run, f"read a checkpoint of room {room!r}")

    async def checkpoint_seqs(self, room: str) -> list[int]:
        run = partial(queries.checkpoint_seqs, room=room)
        return await self._read(run, f"list checkpoints of room {room!r}")

    async def stamps(self, room: str, after_seq: int = 0, limit: int | None = None) -> list[Stamp]:
        check_limit(limit)
        run = partial(queries.select_stamps, room=room, after_seq=after_seq, limit=limit)
        return await self._read(run, f"read records of room {room!r}")

    async def seq_at(self, room: str, ts: float) -> int:
        run = partial(queries.seq_at, room=room, ts=ts)
        return await self._read(run, f"find a moment of room {room!r}")

    async def _read(self, run: Read[T], doing: str) -> T:
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

    def stats(self) -> StoreStats:
        return self._counters.stats()


async def _configure_reader(conn: psycopg.AsyncConnection[Any]) -> None:
    # One consistent view a read: load() reads the snapshot and the records after it.
    await conn.set_isolation_level(IsolationLevel.REPEATABLE_READ)
    await conn.set_read_only(True)
