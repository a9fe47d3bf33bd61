"""LogWindow: which records of a room's log its document holds, and when a gap in them means
the log must be read (pure: seqs and a clock in, no I/O)."""

from __future__ import annotations

import time
from collections.abc import Callable


class LogWindow:
    """The seqs a document holds: every one up to `upto`, some beyond (`ahead`); `known` is
    the newest seq known to be in the log. A seq known but not held for longer than
    `gap_grace` (another process's entry was lost, or its broker was unreachable) is a gap."""

    def __init__(
        self, *, gap_grace: float = 0.2, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.upto = 0
        self.ahead: set[int] = set()
        self.known = 0
        self._gap_since: float | None = None
        self._gap_grace = gap_grace
        self._clock = clock

    def start(self, seq: int) -> None:
        """The document was loaded with every record up to `seq`."""
        self.upto = self.known = seq

    def holds(self, seq: int) -> bool:
        return seq <= self.upto or seq in self.ahead

    def hold(self, seq: int) -> None:
        """The document holds record `seq`."""
        self.known = max(self.known, seq)
        if seq == self.upto + 1:
            self.upto = seq
            while self.upto + 1 in self.ahead:
                self.upto += 1
                self.ahead.discard(self.upto)
        elif seq > self.upto:
            self.ahead.add(seq)
        self._note_gap()

    def know(self, seq: int) -> None:
        """Record `seq` is in the log (a marker, or the log's head)."""
        if seq > self.known:
            self.known = seq
            self._note_gap()

    def read_to_end(self) -> None:
        """The log was read to its end and held nothing more: a known seq beyond it (a
        marker ahead of the log) is forgotten."""
        if self.known > self.upto:
            self.known = self.upto
            self._gap_since = None

    def overdue(self, now: float) -> bool:
        """Whether a gap has lasted past its grace."""
        return self._gap_since is not None and now - self._gap_since >= self._gap_grace

    def _note_gap(self) -> None:
        if self.known <= self.upto:
            self._gap_since = None
        elif self._gap_since is None:
            self._gap_since = self._clock()
