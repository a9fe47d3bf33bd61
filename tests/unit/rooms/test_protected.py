"""ProtectedRanges: the server's own maps' IDs, as merged clock ranges."""

from __future__ import annotations

from pairbook.rooms.protected import EVERY_CLOCK, ProtectedRanges


def test_ranges_merge_with_the_neighbours_they_touch_or_overlap() -> None:
    ranges = ProtectedRanges()
    ranges.add(1, 10, 12)
    ranges.add(1, 0, 2)
    ranges.add(1, 5, 6)
    ranges.add(1, 2, 3)  # touches [0, 2)
    ranges.add(1, 4, 4)  # empty: nothing
    assert ranges.to_json() == '{"1": [[0, 3], [5, 6], [10, 12]]}'
    ranges.add(1, 4, 11)  # overlaps [5, 6) and [10, 12)
    assert ranges.to_json() == '{"1": [[0, 3], [4, 12]]}'
    assert ranges.contains((1, 2))
    assert ranges.contains((1, 11))
    assert not ranges.contains((1, 3))
    assert not ranges.contains((1, 12))
    assert ranges.covers(1, 4, 12)
    assert ranges.covers(1, 0, 3)
    assert not ranges.covers(1, 2, 5)  # runs past [0, 3) into the gap
    assert not ranges.covers(2, 0, 1)
    assert ranges.overlapping({1: ((2, 4),), 2: ((0, 9),)}) == {1: ((2, 1), (4, 2))}


def test_a_long_session_of_interleaved_edits_keeps_one_range_a_run() -> None:
    ranges = ProtectedRanges()
    for run in range(1000):  # the server's map edits, between its edits of cells
        ranges.add(7, run * 10, run * 10 + 4)
    ranges.add(7, 4, 10)  # joins the first two
    data = ranges.to_json()
    assert data.startswith('{"7": [[0, 14], [20, 24]')
    assert data.count("[") == 1 + 999
    assert ProtectedRanges.from_json(data, extra=[3]).contains((3, EVERY_CLOCK - 1))
