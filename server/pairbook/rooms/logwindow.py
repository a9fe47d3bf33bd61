"""LogWindow: which records of a room's log its document holds, and when a gap in them means
the log must be read (seqs and a clock in, no I/O; a wait for a seq is a future it settles)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from pairbook.rooms.lateness import GRACE, Lateness

NOTED = 1024
"""Missing seqs whose first sighting is kept (for `Lateness`): older ones are forgotten."""
NOTED_RUN = 64
"""A run of more missing seqs at once (a document loaded far behind the log's head, a
marker) is not timed: those come from the log, not late through the broker."""


class LogWindow:
    """The seqs a document holds: every one up to `upto`, some beyond (`ahead`); `known` is
    the newest seq known to be in the log. A seq known but not held for longer than
    `gap_grace` (another process's entry was lost, or its broker was unreachable) is a gap;
    the grace is `lateness.grace`, which grows with how late entries fill gaps (`arrived`).
    `reached` waits for the seqs up to one to be held."""

    def __init__(
        self, *, lateness: Lateness | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.upto = 0
        self.ahead: set[int] = set()
        self.known = 0
        self.lateness = lateness or Lateness()
        self._gap_since: float | None = None
        self._clock = clock
        self._missing: dict[int, float] = {}  # seq -> when it was first known to be missing
        self._reaching: list[tuple[int, asyncio.Future[None]]] = []

    def start(self, seq: int) -> None:
        """The document was loaded with every record up to `seq`."""
        self.upto = self.known = seq

    def holds(self, seq: int) -> bool:
        return seq <= self.upto or seq in self.ahead

    @property
    def newest(self) -> int:
        """The newest seq held (not every one before it may be)."""
        return max(self.ahead, default=self.upto)

    def reached(self, seq: int) -> asyncio.Future[None]:
        """Done once every seq up to `seq` is held (cancel it to stop waiting)."""
        future = asyncio.get_running_loop().create_future()
        if seq <= self.upto:
            future.set_result(None)
        else:
            self._reaching.append((seq, future))
        return future

    @property
    def gap_grace(self) -> float:
        """Seconds a gap waits for its entry before the log is read."""
        return self.lateness.grace

    @property
    def reach_wait(self) -> float:
        """Seconds a command forwarded from another process waits for the entries it follows
        before the log is read: its sender had them logged already, so never longer than
        the quiet grace, however late the broker's entries come (the gap's grace grows to
        seconds under load; a run would have waited that out before it started)."""
        return min(self.gap_grace, GRACE)

    def hold(self, seq: int) -> None:
        """The document holds record `seq`."""
        self._note_missing(max(self.known, self.upto) + 1, seq)
        self.known = max(self.known, seq)
        if seq == self.upto + 1:
            self.upto = seq
            while self.upto + 1 in self.ahead:
                self.upto += 1
                self.ahead.discard(self.upto)
            if self._reaching:
                self._reaching = [(s, f) for s, f in self._reaching if not _done(f, s, self.upto)]
        elif seq > self.upto:
            self.ahead.add(seq)
        self._note_gap()

    def know(self, seq: int) -> None:
        """Record `seq` is in the log (a marker, or the log's head)."""
        if seq > self.known:
            self._note_missing(max(self.known, self.upto) + 1, seq + 1)
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
        since = self._gap_since
        return since is not None and now - since >= self.lateness.grace

    def arrived(self, seq: int) -> None:
        """Another process's entry for record `seq` came through the broker: if the seq was
        seen missing (held since from the log, or not), how late it came is noted."""
        since = self._missing.pop(seq, None)
        if since is not None:
            self.lateness.note(self._clock() - since)

    def _note_missing(self, first: int, end: int) -> None:
        """Seqs `first` to `end` - 1 are in the log from now on and not held (yet)."""
        if not 0 < end - first <= NOTED_RUN:
            return
        now = self._clock()
        for seq in range(first, end):
            if seq not in self.ahead:
                self._missing.setdefault(seq, now)
        while len(self._missing) > NOTED:
            del self._missing[next(iter(self._missing))]

    def _note_gap(self) -> None:
        if self.known <= self.upto:
            self._gap_since = None
        elif self._gap_since is None:
            self._gap_since = self._clock()


def _done(future: asyncio.Future[None], seq: int, upto: int) -> bool:
    """Whether a `reached` wait is over (given up, or `seq` reached: then it is told)."""
    if not future.done() and seq <= upto:
        future.set_result(None)
    return future.done()
