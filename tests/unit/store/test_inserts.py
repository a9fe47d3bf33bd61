"""Many rows inserted with a statement per binary digit of their count."""

from __future__ import annotations

import sqlite3

import pytest

from pairbook.store.inserts import ROWS_PER_STATEMENT, insert_rows

INSERT = "INSERT INTO t (a, b) VALUES "


@pytest.mark.parametrize("count", [0, 1, 2, 36, ROWS_PER_STATEMENT * 2 + 5])
def test_every_row_is_inserted_in_order(count: int) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER, b TEXT)")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    insert_rows(conn, INSERT, [(i, f"row {i}") for i in range(count)])
    assert conn.execute("SELECT a, b FROM t ORDER BY n").fetchall() == [
        (i, f"row {i}") for i in range(count)
    ]
    whole, rest = divmod(count, ROWS_PER_STATEMENT)
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert len(inserts) == whole + bin(rest).count("1")


def test_a_refused_row_refuses_its_whole_statement() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
    with pytest.raises(sqlite3.IntegrityError):
        insert_rows(conn, INSERT, [(1, "one"), (2, "two"), (1, "again"), (3, "three")])
    assert conn.execute("SELECT a FROM t").fetchall() == []
