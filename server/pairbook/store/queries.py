"""The SQL of `SQLiteStore`: one function a statement group, over a connection it is given.

Writes run on the writer's thread inside its group-commit transaction (they take the
writer's `Sequences` too); reads run on the reader connection inside one read transaction.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence

from pairbook.store.records import Checkpoint, EventRecord, RoomLog, Stamp, UpdateRecord
from pairbook.store.rules import check_fence, check_prune, check_snapshot
from pairbook.store.sequences import Sequences
from pairbook.store.sequences import raise_fence as fence_room

ROOM_TABLES = ("records", "snapshots", "meta", "claims", "events", "checkpoints")

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

# --- writes ------------------------------------------------------------------------------


def raise_fence(conn: sqlite3.Connection, sequences: Sequences, room: str, token: int) -> int:
    return fence_room(conn, room, token)


def fence_write(conn: sqlite3.Connection, room: str, fence: int | None, doing: str) -> None:
    """A write of the room's owner: refused (FencedError, and the writer rolls the write
    back) below the room's fence, which it raises to its token otherwise."""
    if fence is not None:
        check_fence(room, fence, fence_room(conn, room, fence), doing)


def save_snapshot(
    conn: sqlite3.Connection, sequences: Sequences, room: str, snapshot: bytes, upto_seq: int,
    ts: float, *, checkpoint: bool = False, fence: int | None = None,
    meta: dict[str, str] | None = None,
) -> None:  # fmt: skip
    """The room's snapshot (one a room, never moved back: `meta` is set with it only if it
    is kept) or one more replay checkpoint."""
    fence_write(conn, room, fence, "save a checkpoint of" if checkpoint else "save a snapshot of")
    check_snapshot(room, upto_seq, sequences.last(conn, room))
    if checkpoint:
        conn.execute(
            "INSERT OR REPLACE INTO checkpoints (room, upto_seq, ts, snapshot) VALUES (?, ?, ?, ?)",
            (room, upto_seq, ts, snapshot),
        )
        return
    kept = conn.execute(
        "INSERT INTO snapshots (room, upto_seq, snapshot, ts) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (room) DO UPDATE SET upto_seq = excluded.upto_seq, "
        "snapshot = excluded.snapshot, ts = excluded.ts "
        "WHERE excluded.upto_seq >= snapshots.upto_seq RETURNING upto_seq",
        (room, upto_seq, snapshot, ts),
    ).fetchall()
    if kept:
        for key, value in (meta or {}).items():
            set_meta(conn, sequences, room, key, value)


def prune(
    conn: sqlite3.Connection, sequences: Sequences, room: str, upto_seq: int,
    *, recording: bool = False, fence: int | None = None,
) -> int:  # fmt: skip
    """Delete the records the snapshot covers (with `recording`, the replay's checkpoints and
    events before them too); returns how many records went."""
    fence_write(conn, room, fence, "prune the recording of" if recording else "prune")
    row = conn.execute("SELECT upto_seq FROM snapshots WHERE room = ?", (room,)).fetchone()
    check_prune(room, upto_seq, row[0] if row else 0)
    deleted = conn.execute("DELETE FROM records WHERE room = ? AND seq <= ?", (room, upto_seq))
    if recording:
        conn.execute("DELETE FROM checkpoints WHERE room = ? AND upto_seq < ?", (room, upto_seq))
        conn.execute("DELETE FROM events WHERE room = ? AND seq < ?", (room, upto_seq))
    return deleted.rowcount


def set_meta(
    conn: sqlite3.Connection, sequences: Sequences, room: str, key: str, value: str
) -> None:
    conn.execute(
        "INSERT INTO meta (room, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (room, key) DO UPDATE SET value = excluded.value",
        (room, key, value),
    )


def claim(
    conn: sqlite3.Connection, sequences: Sequences, room: str, client_id: int, user_id: str
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO claims (room, client_id, user_id) VALUES (?, ?, ?)",
        (room, client_id, user_id),
    )


def drop_room(conn: sqlite3.Connection, sequences: Sequences, room: str) -> None:
    for table in ROOM_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE room = ?", (room,))
    sequences.forget(room)


def append_events(
    conn: sqlite3.Connection, sequences: Sequences, room: str, events: Sequence[EventRecord],
    *, fence: int | None = None,
) -> None:  # fmt: skip
    fence_write(conn, room, fence, "write events of")
    conn.executemany(
        "INSERT INTO events (room, seq, ts, kind, user_id, data) VALUES (?, ?, ?, ?, ?, ?)",
        [(room, e.seq, e.ts, e.kind, e.user_id, e.data) for e in events],
    )


# --- reads -------------------------------------------------------------------------------


def load_room(conn: sqlite3.Connection, room: str) -> RoomLog | None:
    row = conn.execute(
        "SELECT upto_seq, snapshot FROM snapshots WHERE room = ?", (room,)
    ).fetchone()
    snapshot_seq, snapshot = row if row else (0, None)
    updates = tuple(select_records(conn, room, snapshot_seq, None))
    meta = select_meta(conn, room)
    claims = dict(conn.execute("SELECT client_id, user_id FROM claims WHERE room = ?", (room,)))
    if row is None and not updates and not meta and not claims:
        return None
    return RoomLog(snapshot, snapshot_seq, updates, meta, claims)


def select_meta(conn: sqlite3.Connection, room: str) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta WHERE room = ?", (room,)))


def select_records(
    conn: sqlite3.Connection, room: str, after_seq: int, limit: int | None
) -> list[UpdateRecord]:
    rows = conn.execute(_SELECT_RECORDS, (room, after_seq, -1 if limit is None else limit))
    return [
        UpdateRecord(room, seq, update, user_id, tuple(json.loads(client_ids)), ts)
        for seq, ts, user_id, client_ids, update in rows
    ]


def select_rooms(conn: sqlite3.Connection) -> list[str]:
    return [room for (room,) in conn.execute(_SELECT_ROOMS)]


def select_events(
    conn: sqlite3.Connection,
    room: str,
    first_seq: int,
    last_seq: int | None,
    kinds: Sequence[str] | None,
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
    return [EventRecord(room, *row) for row in conn.execute(sql, args)]


def find_checkpoint(conn: sqlite3.Connection, room: str, at_most_seq: int) -> Checkpoint | None:
    row = conn.execute(
        "SELECT upto_seq, ts, snapshot FROM checkpoints WHERE room = ? AND upto_seq <= ? "
        "ORDER BY upto_seq DESC LIMIT 1",
        (room, at_most_seq),
    ).fetchone()
    return None if row is None else Checkpoint(room, row[0], row[1], row[2])


def checkpoint_seqs(conn: sqlite3.Connection, room: str) -> list[int]:
    sql = "SELECT upto_seq FROM checkpoints WHERE room = ? ORDER BY upto_seq"
    return [seq for (seq,) in conn.execute(sql, (room,))]


def select_stamps(
    conn: sqlite3.Connection, room: str, after_seq: int, limit: int | None
) -> list[Stamp]:
    sql = "SELECT seq, ts, user_id FROM records WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?"
    return [
        Stamp(*row) for row in conn.execute(sql, (room, after_seq, -1 if limit is None else limit))
    ]


def seq_at(conn: sqlite3.Connection, room: str, ts: float) -> int:
    if ts == math.inf:  # the newest: straight from the primary key
        row = conn.execute("SELECT MAX(seq) FROM records WHERE room = ?", (room,))
    else:
        row = conn.execute("SELECT MAX(seq) FROM records WHERE room = ? AND ts <= ?", (room, ts))
    return int(row.fetchone()[0] or 0)
