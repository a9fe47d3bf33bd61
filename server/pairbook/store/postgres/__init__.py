"""The PostgreSQL back end of the store: `postgresql://` URLs, shared by many pairbook processes.

Imported only when a store URL names PostgreSQL, so the embedded default never loads psycopg.
"""

from __future__ import annotations

from pairbook.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
