"""Counters a room keeps for observability; `pairbook.app` exports them to Prometheus."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

RELAY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)


@dataclass(slots=True)
class LatencyHistogram:
    """A fixed-bucket histogram: constant memory however long the server runs."""

    bounds: tuple[float, ...] = RELAY_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(RELAY_BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.total += seconds
        self.count += 1

    def cumulative(self) -> list[tuple[str, int]]:
        """Prometheus-style (le, cumulative count) pairs, ending with +Inf."""
        running = 0
        out: list[tuple[str, int]] = []
        for bound, n in zip((*map(str, self.bounds), "+Inf"), self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out


@dataclass(slots=True)
class RoomCounters:
    """Process-wide tallies, shared by every room."""

    updates: int = 0
    update_bytes: int = 0
    relayed_frames: int = 0
    awareness_updates: int = 0
    refused_updates: int = 0
    echoes: int = 0  # updates a peer sent back unchanged (skipped without decoding)
    unappliable_updates: int = 0  # updates pycrdt could not apply (refused, never logged)
    skipped_records: int = 0  # log records a room skipped on load (pycrdt cannot apply)
    disconnects: Counter[str] = field(default_factory=Counter)
    relay: LatencyHistogram = field(default_factory=LatencyHistogram)
