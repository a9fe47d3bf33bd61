"""Lateness: how late other processes' entries reach this one, behind the seqs that this
process saw logged first — the grace a gap in a room's log seqs gets before the log is read
(pure: seconds in, a grace out)."""

from __future__ import annotations

from collections import deque

GRACE = 0.2
"""Seconds a gap waits while no entry has been seen late (one process, a quiet broker)."""
MOST = 5.0
"""Seconds a gap waits at most, however late entries come: a lost entry (its process died
between logging and publishing) is read from the log within this."""
SAMPLES = 64
FACTOR = 2.0


class Lateness:
    """The grace of a gap: twice the 90th percentile of how long the last `SAMPLES` gaps
    took to fill through the broker (each measured when its entry came, even one read
    from the log meanwhile), between `GRACE` and `MOST` seconds.

    A fixed 0.2 s fed itself under load (session 15, two processes, 500 rooms): entries a
    second late made rooms read every gap from the log, those reads loaded the processes,
    which made entries later still — every update read back 1.5 times on average. One
    `Lateness` serves every room of a process: the broker's and the event loop's delays
    are the process's, not a room's."""

    def __init__(self, *, least: float = GRACE, most: float = MOST) -> None:
        self._least, self._most = least, most
        self._samples: deque[float] = deque(maxlen=SAMPLES)
        self.grace = least

    def note(self, seconds: float) -> None:
        """A gap's entry came `seconds` after the gap was seen."""
        self._samples.append(max(0.0, seconds))
        ordered = sorted(self._samples)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        self.grace = min(self._most, max(self._least, FACTOR * p90))
