"""`SQLiteStore`: every room's log in one SQLite file (WAL), written with group commit."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

from pairbook.errors import StoreError
from pairbook.store import queries
from pairbook.store.checkpointer import Checkpointer
from pairbook.store.connection import Role, Synchronous, connect, describe_error
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
from pairbook.store.schema import ensure_schema
from pairbook.store.writer import Counters, Sequences, Writer

T = TypeVar("T")


class SQLiteStore(OpenedByWith):
    """One SQLite file holding every room's log, for one server process at a time.

    Args:
        synchronous: "normal" survives a crash or kill -9 of the process; "full" also
            survives a power loss, at the price of one fsync per commit.
        busy_timeout: seconds to wait for a lock held by another process before failing.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "normal",
        busy_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.path = Path(path)
        self.synchronous: Synchronous = synchronous
        self._busy_timeout = busy_timeout
        self._clock = clock
        self._timer = timer
        self._state = StoreState.CLOSED
        self._counters = Counters()
        self._writer: Writer | None = None
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        self._stopped: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, synchronous={self.synchronous!r})"

    # --- life ----------------------------------------------------------------------------

    async def open(self) -> None:
        check_closed(self._state)
        self._state = StoreState.OPENING
        try:
            writer, self._reader = await asyncio.to_thread(self._connect)
        except BaseException:
            self._state = StoreState.CLOSED
            raise
        writer.start()
        self._writer = writer
        self._state = StoreState.OPEN

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
        )
        return writer, reader

    async def close(self) -> None:
        """Commit everything queued, checkpoint the WAL and close. Closing twice is harmless."""
        if self._state is StoreState.CLOSING and self._stopped is not None:
            await asyncio.shield(self._stopped)
            return
        if self._state is not StoreState.OPEN:
            return
        assert self._writer is not None
        self._state = StoreState.CLOSING
        self._stopped = self._writer.stop()
        try:
            # Shielded: a cancelled close() must not cancel the writer's last commit.
            await asyncio.shield(self._stopped)
        finally:
            await asyncio.to_thread(self._close_reader)
            self._writer = None
            self._state = StoreState.CLOSED

    def _close_reader(self) -> None:
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    # --- writes --------------------------------------------------------------------------

    async def append(
        self, room: str, update: bytes, user_id: str, client_ids: Sequence[int]
    ) -> int:
        check_open(self._state, f"append to room {room!r}")
        assert self._writer is not None
        update = check_update(update)
        ids = check_client_ids(client_ids)
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

    async def _write(self, run: Callable[[sqlite3.Connection, Sequences], T], doing: str) -> T:
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

    async def _read(self, run: Callable[[sqlite3.Connection], T], doing: str) -> T:
        check_open(self._state, doing)

        def read() -> T:
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

    def stats(self) -> StoreStats:
        return self._counters.stats()
