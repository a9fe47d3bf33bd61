"""The rooms' wake-ups stay spread over the tick, however late the loop wakes them."""

from __future__ import annotations

from collections import Counter

import pytest

from pairbook.rooms.beat import EARLY, SLOT, Beat, Beats

TICK = 0.25


def test_rooms_opened_at_one_moment_wake_on_slots_spread_over_the_tick() -> None:
    beats = Beats(TICK)
    assert beats.slots == round(TICK / SLOT)
    dues = [beats.beat(100.0).due for _ in range(500)]
    assert all(100.0 < due <= 100.0 + TICK for due in dues)
    per_slot = Counter(round(due, 6) for due in dues)
    # 500 rooms over 25 slots: 20 a slot, give or take one (the golden ratio's sequence);
    # waiting a tick from one moment gave all 500 one deadline.
    assert len(per_slot) == beats.slots
    assert max(per_slot.values()) - min(per_slot.values()) <= 2


def test_the_first_rooms_each_get_a_slot_of_their_own() -> None:
    beats = Beats(TICK)
    dues = [beats.beat(0.0).due for _ in range(12)]
    assert len({round(due, 6) for due in dues}) == 12


def test_a_late_wake_up_skips_the_missed_beats_and_keeps_the_phase() -> None:
    beat = Beat(TICK, phase=0.1, due=100.1)
    beat.advance(100.1 + 3.3 * TICK)  # the loop stalled for more than three ticks
    assert beat.due == pytest.approx(100.1 + 4 * TICK)
    assert (beat.due - 0.1) / TICK == pytest.approx(round((beat.due - 0.1) / TICK))


def test_rooms_woken_together_by_a_stall_are_due_apart_again_after_it() -> None:
    beats = Beats(TICK)
    rooms = [beats.beat(0.0) for _ in range(100)]
    stalled_until = 7.3  # every room's time came during the stall: all wake at 7.3
    for beat in rooms:
        beat.advance(stalled_until)
    dues = sorted(beat.due for beat in rooms)
    assert all(stalled_until < due <= stalled_until + TICK for due in dues)
    per_slot = Counter(round(due, 6) for due in dues)
    assert len(per_slot) == round(TICK / SLOT)  # each on its slot again: 4 a slot
    assert max(per_slot.values()) <= 5


def test_a_timer_firing_a_little_early_takes_its_beat() -> None:
    beat = Beat(TICK, phase=0.0, due=10.0)
    beat.advance(10.0 - EARLY / 5)  # uvloop rounds delays to whole milliseconds
    assert beat.due == pytest.approx(10.0 + TICK)


def test_a_wake_up_well_before_the_beat_leaves_it_due() -> None:
    beat = Beat(TICK, phase=0.0, due=10.0)
    beat.advance(9.9)  # the room's flag was set (a peer left)
    assert beat.due == 10.0


def test_a_wake_up_exactly_on_a_beat_moves_to_the_next() -> None:
    beat = Beat(0.1, phase=0.07, due=0.07)
    for _ in range(1000):
        before = beat.due
        beat.advance(before)
        assert beat.due == pytest.approx(before + 0.1)
