"""`SQLiteStore`: every room's log in one SQLite file (WAL), written with group commit."""

from __future__ import annotations

import asyncio
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from pairbook.errors import StoreError
from pairbook.store.checkpointer import Checkpointer
from pairbook.store.connection import Role, Synchronous, connect, describe_error
from pairbook.store.records import (
    Checkpoint,
    EventRecord,
    RoomLog,
    Stamp,
    StoreStats,
    UpdateRecord,
)
from pairbook.store.rules import (
    StoreState,
    check_client_ids,
    check_closed,
    check_limit,
    check_open,
    check_prune,
    check_snapshot,
    check_update,
)
from pairbook.store.schema import ensure_schema
from pairbook.store.writer import Counters, Sequences, Writer

T = TypeVar("T")

_SELECT_RECORDS = (
    'SELECT seq, ts, user_id, client_ids, "update" FROM records '
    "WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?"
)
# Walks the records' primary key from one room to the next instead of scanning every record.
_SELECT_ROOMS = """
WITH RECURSIVE logged(room) AS (
    SELECT MIN(room) FROM records
    UNION ALL
    SELECT (SELECT MIN(room) FROM records WHERE room > logged.room) FROM logged
    WHERE logged.room IS NOT NULL
)
SELECT room FROM logged WHERE room IS NOT NULL
UNION SELECT room FROM snapshots
UNION SELECT room FROM meta
UNION SELECT room FROM claims
UNION SELECT DISTINCT room FROM checkpoints
ORDER BY room
"""


class SQLiteStore:
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

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

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
        snapshot = check_update(snapshot)
        ts = self._clock()

        def save(conn: sqlite3.Connection, sequences: Sequences) -> None:
            check_snapshot(room, upto_seq, sequences.last(conn, room))
            conn.execute(
                "INSERT INTO snapshots (room, upto_seq, snapshot, ts) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (room) DO UPDATE SET upto_seq = excluded.upto_seq, "
                "snapshot = excluded.snapshot, ts = excluded.ts "
                "WHERE excluded.upto_seq >= snapshots.upto_seq",
                (room, upto_seq, snapshot, ts),
            )

        await self._write(save, f"save a snapshot of room {room!r}")

    async def prune(self, room: str, upto_seq: int) -> int:
        def prune(conn: sqlite3.Connection, sequences: Sequences) -> int:
            row = conn.execute("SELECT upto_seq FROM snapshots WHERE room = ?", (room,)).fetchone()
            check_prune(room, upto_seq, row[0] if row else 0)
            deleted = conn.execute(
                "DELETE FROM records WHERE room = ? AND seq <= ?", (room, upto_seq)
            )
            return deleted.rowcount

        return await self._write(prune, f"prune room {room!r}")

    async def set_meta(self, room: str, key: str, value: str) -> None:
        def set_meta(conn: sqlite3.Connection, sequences: Sequences) -> None:
            conn.execute(
                "INSERT INTO meta (room, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (room, key) DO UPDATE SET value = excluded.value",
                (room, key, value),
            )

        await self._write(set_meta, f"set meta {key!r} of room {room!r}")

    async def claim(self, room: str, client_id: int, user_id: str) -> None:
        (client_id,) = check_client_ids((client_id,))

        def claim(conn: sqlite3.Connection, sequences: Sequences) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO claims (room, client_id, user_id) VALUES (?, ?, ?)",
                (room, client_id, user_id),
            )

        await self._write(claim, f"claim client {client_id} in room {room!r}")

    async def drop_room(self, room: str) -> None:
        def drop(conn: sqlite3.Connection, sequences: Sequences) -> None:
            for table in ("records", "snapshots", "meta", "claims", "events", "checkpoints"):
                conn.execute(f"DELETE FROM {table} WHERE room = ?", (room,))
            sequences.forget(room)

        await self._write(drop, f"drop room {room!r}")

    async def append_events(self, room: str, events: Sequence[EventRecord]) -> None:
        rows = [(room, e.seq, e.ts, e.kind, e.user_id, e.data) for e in events]

        def append(conn: sqlite3.Connection, sequences: Sequences) -> None:
            conn.executemany(
                "INSERT INTO events (room, seq, ts, kind, user_id, data) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

        if rows:
            await self._write(append, f"append events to room {room!r}")

    async def save_checkpoint(self, room: str, snapshot: bytes, upto_seq: int) -> None:
        snapshot = check_update(snapshot)
        ts = self._clock()

        def save(conn: sqlite3.Connection, sequences: Sequences) -> None:
            check_snapshot(room, upto_seq, sequences.last(conn, room))
            conn.execute(
                "INSERT OR REPLACE INTO checkpoints (room, upto_seq, ts, snapshot) "
                "VALUES (?, ?, ?, ?)",
                (room, upto_seq, ts, snapshot),
            )

        await self._write(save, f"save a checkpoint of room {room!r}")

    async def forget_history(self, room: str, upto_seq: int) -> int:
        def forget(conn: sqlite3.Connection, sequences: Sequences) -> int:
            row = conn.execute("SELECT upto_seq FROM snapshots WHERE room = ?", (room,)).fetchone()
            check_prune(room, upto_seq, row[0] if row else 0)
            deleted = conn.execute(
                "DELETE FROM records WHERE room = ? AND seq <= ?", (room, upto_seq)
            ).rowcount
            conn.execute(
                "DELETE FROM checkpoints WHERE room = ? AND upto_seq < ?", (room, upto_seq)
            )
            conn.execute("DELETE FROM events WHERE room = ? AND seq < ?", (room, upto_seq))
            return deleted

        return await self._write(forget, f"forget the history of room {room!r}")

    async def _write(self, run: Callable[[sqlite3.Connection, Sequences], T], doing: str) -> T:
        check_open(self._state, doing)
        assert self._writer is not None
        return await self._writer.submit(run)

    # --- reads ---------------------------------------------------------------------------

    async def load(self, room: str) -> RoomLog | None:
        def load(conn: sqlite3.Connection) -> RoomLog | None:
            row = conn.execute(
                "SELECT upto_seq, snapshot FROM snapshots WHERE room = ?", (room,)
            ).fetchone()
            snapshot_seq, snapshot = row if row else (0, None)
            updates = tuple(_select_records(conn, room, snapshot_seq, None))
            meta = dict(conn.execute("SELECT key, value FROM meta WHERE room = ?", (room,)))
            claims = dict(
                conn.execute("SELECT client_id, user_id FROM claims WHERE room = ?", (room,))
            )
            if row is None and not updates and not meta and not claims:
                return None
            return RoomLog(snapshot, snapshot_seq, updates, meta, claims)

        return await self._read(load, f"load room {room!r}")

    async def records(
        self, room: str, after_seq: int = 0, limit: int | None = None
    ) -> list[UpdateRecord]:
        check_limit(limit)
        return await self._read(
            lambda conn: _select_records(conn, room, after_seq, limit),
            f"read records of room {room!r}",
        )

    async def rooms(self) -> list[str]:
        return await self._read(
            lambda conn: [room for (room,) in conn.execute(_SELECT_ROOMS)], "list rooms"
        )

    async def events(
        self,
        room: str,
        first_seq: int = 0,
        last_seq: int | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[EventRecord]:
        sql = "SELECT seq, ts, kind, user_id, data FROM events WHERE room = ? AND seq >= ?"
        args: list[object] = [room, first_seq]
        if last_seq is not None:
            sql += " AND seq <= ?"
            args.append(last_seq)
        if kinds is not None:
            sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
            args.extend(kinds)
        sql += " ORDER BY id"
        return await self._read(
            lambda conn: [EventRecord(room, *row) for row in conn.execute(sql, args)],
            f"read events of room {room!r}",
        )

    async def checkpoint(self, room: str, at_most_seq: int) -> Checkpoint | None:
        def find(conn: sqlite3.Connection) -> Checkpoint | None:
            row = conn.execute(
                "SELECT upto_seq, ts, snapshot FROM checkpoints WHERE room = ? AND upto_seq <= ? "
                "ORDER BY upto_seq DESC LIMIT 1",
                (room, at_most_seq),
            ).fetchone()
            return None if row is None else Checkpoint(room, row[0], row[1], row[2])

        return await self._read(find, f"read a checkpoint of room {room!r}")

    async def checkpoint_seqs(self, room: str) -> list[int]:
        return await self._read(
            lambda conn: [
                seq
                for (seq,) in conn.execute(
                    "SELECT upto_seq FROM checkpoints WHERE room = ? ORDER BY upto_seq", (room,)
                )
            ],
            f"list checkpoints of room {room!r}",
        )

    async def stamps(self, room: str, after_seq: int = 0, limit: int | None = None) -> list[Stamp]:
        check_limit(limit)
        return await self._read(
            lambda conn: [
                Stamp(*row)
                for row in conn.execute(
                    "SELECT seq, ts, user_id FROM records WHERE room = ? AND seq > ? "
                    "ORDER BY seq LIMIT ?",
                    (room, after_seq, -1 if limit is None else limit),
                )
            ],
            f"read records of room {room!r}",
        )

    async def seq_at(self, room: str, ts: float) -> int:
        def find(conn: sqlite3.Connection) -> int:
            if ts == math.inf:  # the newest: straight from the primary key
                row = conn.execute("SELECT MAX(seq) FROM records WHERE room = ?", (room,))
            else:
                row = conn.execute(
                    "SELECT MAX(seq) FROM records WHERE room = ? AND ts <= ?", (room, ts)
                )
            return int(row.fetchone()[0] or 0)

        return await self._read(find, f"find a moment of room {room!r}")

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


def _select_records(
    conn: sqlite3.Connection, room: str, after_seq: int, limit: int | None
) -> list[UpdateRecord]:
    rows = conn.execute(_SELECT_RECORDS, (room, after_seq, -1 if limit is None else limit))
    return [
        UpdateRecord(room, seq, update, user_id, tuple(json.loads(client_ids)), ts)
        for seq, ts, user_id, client_ids, update in rows
    ]
