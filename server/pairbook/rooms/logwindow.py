"""LogWindow: which records of a room's log its document holds, and when a gap in them means
the log must be read (seqs and a clock in, no I/O; a wait for a seq is a future it settles)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class LogWindow:
    """The seqs a document holds: every one up to `upto`, some beyond (`ahead`); `known` is
    the newest seq known to be in the log. A seq known but not held for longer than
    `gap_grace` (another process's entry was lost, or its broker was unreachable) is a gap.
    `reached` waits for the seqs up to one to be held."""

    def __init__(
        self, *, gap_grace: float = 0.2, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.upto = 0
        self.ahead: set[int] = set()
        self.known = 0
        self._gap_since: float | None = None
        self.gap_grace = gap_grace
        self._clock = clock
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

    def hold(self, seq: int) -> None:
        """The document holds record `seq`."""
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
        return self._gap_since is not None and now - self._gap_since >= self.gap_grace

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
