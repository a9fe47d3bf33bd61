"""What the SQLite writer keeps per room across its batches: each room's last seq and the
client ids whose claims it has written, and how it raises a room's fence."""

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
CLAIMS_KEPT = 64
"""Client-id tuples kept per room; past it the room's are forgotten, and the next append of
each inserts its claims again (ignored: the first claim stands)."""


class Sequences:
    """The last seq of every room the writer has written, read from the file on first use.
    A snapshot counts: once pruned, records no longer say how far a room's log went.

    Beside it, the client-id tuples of the room's appends whose claims the writer inserted,
    as stored (JSON): an append of one of them has no claim to make. Both are kept as the
    rows are written and forgotten with them (a failed transaction, a dropped room).
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}
        self._claimed: dict[str, dict[tuple[int, ...], str]] = {}

    def last(self, conn: sqlite3.Connection, room: str) -> int:
        last = self._last.get(room)
        if last is None:
            (found,) = conn.execute(_LAST_SEQ, (room, room)).fetchone()
            last = self._last[room] = found or 0
        return last

    def advance(self, conn: sqlite3.Connection, room: str) -> int:
        seq = self._last[room] = self.last(conn, room) + 1
        return seq

    def took(self, room: str, seq: int) -> None:
        """The room's record `seq` (its last + 1, from `last`) was written."""
        self._last[room] = seq

    def claimed(self, room: str, client_ids: tuple[int, ...]) -> str | None:
        """`client_ids` as stored, when the writer inserted their claims in the room."""
        kept = self._claimed.get(room)
        return None if kept is None else kept.get(client_ids)

    def claim(self, room: str, client_ids: tuple[int, ...], stored: str) -> None:
        """The claims of `client_ids` (`stored`: as the record holds them) were inserted."""
        kept = self._claimed.setdefault(room, {})
        if len(kept) >= CLAIMS_KEPT:
            kept.clear()
        kept[client_ids] = stored

    def forget(self, room: str) -> None:
        self._last.pop(room, None)
        self._claimed.pop(room, None)

    def clear(self) -> None:
        self._last.clear()
        self._claimed.clear()


def raise_fence(conn: sqlite3.Connection, room: str, token: int) -> int:
    """Raise the room's fence to `token` (never lower it); the fence it had before."""
    row = conn.execute("SELECT token FROM fences WHERE room = ?", (room,)).fetchone()
    conn.execute(_RAISE_FENCE, (room, token))
    return int(row[0]) if row else 0
