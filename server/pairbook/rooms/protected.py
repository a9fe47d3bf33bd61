"""ProtectedRanges: which Yjs IDs the server wrote into its own maps."""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from pairbook.protocol.update import ID, StructKind, UpdateSummary

EVERY_CLOCK = 2**53


def _start(span: tuple[int, int]) -> int:
    return span[0]


def _end(span: tuple[int, int]) -> int:
    return span[1]


class ProtectedRanges:
    """Clock ranges, per client, of every struct in pairbook's own top-level maps.

    Only the server writes those maps, so it knows exactly which IDs they hold: a peer's
    update that refers to one of them (to overwrite a key, insert next to an item, or delete
    it) is an attempt to write a server-only map.
    """

    def __init__(self, spans: dict[int, list[tuple[int, int]]] | None = None) -> None:
        self._spans: dict[int, list[tuple[int, int]]] = {}
        for client, ranges in (spans or {}).items():
            for start, end in ranges:
                self.add(client, start, end)

    def __bool__(self) -> bool:
        return bool(self._spans)

    def add(self, client: int, start: int, end: int) -> None:
        """Protect clocks [start, end) of a client, merging with neighbours (the ranges stay
        sorted and disjoint: two bisections and one splice, however long the session)."""
        if end <= start:
            return
        ranges = self._spans.setdefault(client, [])
        first = bisect_left(ranges, start, key=_end)  # the first range ending at or after start
        last = bisect_right(ranges, end, key=_start)  # past the last one starting by end
        if first < last:
            start, end = min(start, ranges[first][0]), max(end, ranges[last - 1][1])
        ranges[first:last] = [(start, end)]

    def contains(self, ref: ID) -> bool:
        client, clock = ref
        ranges = self._spans.get(client)
        if not ranges:
            return False
        index = bisect_right(ranges, (clock, EVERY_CLOCK)) - 1
        return index >= 0 and ranges[index][0] <= clock < ranges[index][1]

    def covers(self, client: int, start: int, end: int) -> bool:
        """Whether clocks [start, end) of a client all lie in one range (merged ranges
        never touch, so in the ranges at all)."""
        ranges = self._spans.get(client)
        if not ranges:
            return False
        index = bisect_right(ranges, (start, EVERY_CLOCK)) - 1
        return index >= 0 and ranges[index][1] >= end

    def overlapping(
        self, spans: dict[int, tuple[tuple[int, int], ...]]
    ) -> dict[int, tuple[tuple[int, int], ...]]:
        """The parts, as (clock, length) spans, of a delete set that are protected IDs.

        Clipped to the protected ranges: a delete set merges neighbouring deletions into
        one span, so a peer's deletion of a cell can share a span with deletions the server
        made in its own maps."""
        touched: dict[int, tuple[tuple[int, int], ...]] = {}
        for client, wanted in spans.items():
            ranges = self._spans.get(client)
            if not ranges:
                continue
            hits = []
            for clock, length in wanted:
                end = clock + length
                index = max(bisect_right(ranges, (clock, EVERY_CLOCK)) - 1, 0)
                for lo, hi in ranges[index:]:
                    if lo >= end:
                        break
                    start, stop = max(lo, clock), min(hi, end)
                    if start < stop:
                        hits.append((start, stop - start))
            if hits:
                touched[client] = tuple(hits)
        return touched

    def to_json(self) -> str:
        return json.dumps({str(c): r for c, r in sorted(self._spans.items())})

    @classmethod
    def from_json(cls, text: str | None, extra: Iterable[int] = ()) -> ProtectedRanges:
        """Ranges saved with `to_json`, plus clients whose every clock is protected."""
        data = json.loads(text) if text else {}
        ranges = cls({int(c): [tuple(r) for r in rs] for c, rs in data.items()})
        for client in extra:
            ranges.add(client, 0, EVERY_CLOCK)
        return ranges


def protect_structs(ranges: ProtectedRanges, summary: UpdateSummary) -> None:
    """Protect every item an update (written by the server into its own maps) holds."""
    for struct in summary.structs:
        if struct.kind is StructKind.ITEM:
            ranges.add(struct.client, struct.clock, struct.clock + struct.length)
