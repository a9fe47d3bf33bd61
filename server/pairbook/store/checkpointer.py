"""`Checkpointer`: copies the write-ahead log back into the database file off the commit path.

SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold, so a few
unlucky appends wait for a whole checkpoint and its fsyncs. The writer turns it off and asks
this thread instead. A PASSIVE checkpoint runs beside the writer without blocking it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading


class Checkpointer:
    """A thread with its own connection that checkpoints when asked, one request at a time."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._wanted = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._main, name="pairbook-store-checkpointer", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def request(self) -> None:
        """Ask for a checkpoint soon; requests made while one runs fold into the next."""
        self._wanted.set()

    def stop(self) -> None:
        """Finish the checkpoint in progress, if any, and close the connection."""
        self._stopping = True
        self._wanted.set()
        if self._thread.is_alive():
            self._thread.join()
        self._conn.close()

    def _main(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping:
                return
            # A failed checkpoint loses nothing: the log stays in the WAL for the next one,
            # and close() checkpoints in the writer, where a failure is reported.
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
