"""What the SQLite writer keeps per room across its batches: each room's last seq, and its
fence."""

from __future__ import annotations

import sqlite3

_RAISE_FENCE = (
    "INSERT INTO fences (room, token) VALUES (?, ?) "
    "ON CONFLICT (room) DO UPDATE SET token = MAX(token, excluded.token)"
)
_LAST_SEQ = """SELECT MAX(last) FROM (
    SELECT MAX(seq) AS last FROM records WHERE room = ?
    UNION ALL SELECT upto_seq FROM snapshots WHERE room = ?
)"""


class Sequences:
    """The last seq of every room the writer has written, read from the file on first use.

    A snapshot counts: once pruned, records no longer say how far a room's log went.
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def last(self, conn: sqlite3.Connection, room: str) -> int:
        last = self._last.get(room)
        if last is None:
            (found,) = conn.execute(_LAST_SEQ, (room, room)).fetchone()
            last = self._last[room] = found or 0
        return last

    def advance(self, conn: sqlite3.Connection, room: str) -> int:
        seq = self._last[room] = self.last(conn, room) + 1
        return seq

    def forget(self, room: str) -> None:
        self._last.pop(room, None)

    def clear(self) -> None:
        self._last.clear()


def raise_fence(conn: sqlite3.Connection, room: str, token: int) -> int:
    """Raise the room's fence to `token` (never lower it); the fence it had before."""
    row = conn.execute("SELECT token FROM fences WHERE room = ?", (room,)).fetchone()
    conn.execute(_RAISE_FENCE, (room, token))
    return int(row[0]) if row else 0
