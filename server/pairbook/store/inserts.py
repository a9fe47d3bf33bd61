"""Many rows inserted with few SQLite statements, for the writer thread."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any

ROWS_PER_STATEMENT = 128
"""Most rows one INSERT writes (6 values each: under SQLite's 999 variables before 3.32)."""


def insert_rows(conn: sqlite3.Connection, insert: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows` with `insert` ("INSERT ... VALUES ") in as few statements as their
    count's binary digits (a batch of 36 appends: 32 rows, then 4).

    executemany steps each row alone, and sqlite3 releases the GIL around every step: the
    writer then needs the GIL back once per row, and while the event loop is busy each time
    is a wait of up to the switch interval (5 ms), during which the batch's commits (and
    every relay waiting on them) wait too. One statement per power of two is one wait, and
    one prepared statement per size in the connection's cache."""
    at = 0
    while at < len(rows):
        count = min(1 << ((len(rows) - at).bit_length() - 1), ROWS_PER_STATEMENT)
        chunk = rows[at : at + count]
        conn.execute(_values(insert, count, len(chunk[0])), [v for row in chunk for v in row])
        at += count


@functools.cache
def _values(insert: str, rows: int, width: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return insert + ", ".join([row] * rows)
