"""Beat: when an open room's life loop wakes for its upkeep, each room on a phase of its own.

Every open room wakes every `tick` (RoomPolicy.tick). Waiting a tick from each wake-up, as
the rooms did, let their wake-ups drift together and stay together: uvloop reads its clock
once a loop iteration, in milliseconds, so rooms opened in one iteration got one deadline,
and every stall of the loop woke the rooms whose time came during it in one iteration, from
then on due together. Under the many-rooms bench (500 rooms, 2,000 wake-ups a second) the
10 ms stretches held a median of 2 wake-ups and up to 289 (bench/fanout/loopwatch): a stall
of several milliseconds of upkeep every tick, which every frame arriving meanwhile waited
out. A beat keeps a room on its own phase of the tick: a late wake-up skips the beats it
missed instead of moving the phase, and successive rooms' phases follow the golden ratio's
sequence, which spreads any number of rooms evenly over the tick.

The phases are whole `SLOT`s (10 ms): the rooms of a slot share their deadline and wake in one
loop iteration (20 rooms at 500, about half a millisecond of upkeep). Each wake-up of the
process costs on its own: 500 rooms' bare waits under uvloop took 0.7 % of a core bunched on
one deadline, 3.4 % on a millisecond each, 2.0 % on 5 ms slots, 1.4 % on 12.5 ms ones, 1.1 %
on 50 ms ones; with the rooms' upkeep (bench/fanout/roomprofile.py --idle), the loop's
thread 2.8-4.1 % of a core bunched and 4.0-4.8 % on 10 ms slots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GOLDEN = (math.sqrt(5) - 1) / 2
SLOT = 0.01
"""Seconds: rooms whose phases fall in one slot wake together (see above)."""
EARLY = 0.005
"""A wake-up this close to its beat takes it (a timer fires up to a millisecond early: uvloop
rounds its delays to whole milliseconds), so the room is not woken again at once for it."""


@dataclass(slots=True)
class Beat:
    """One room's wake-ups: every `period` seconds at `phase` into it, on the loop's clock."""

    period: float
    phase: float  # in [0, period)
    due: float = 0.0  # loop time of the next wake-up

    def advance(self, now: float) -> None:
        """After a wake-up at `now`: the next beat on this phase (missed ones skipped). A
        wake-up well before `due` (the room's flag was set) leaves `due` as it is."""
        if now < self.due - EARLY:
            return
        self.due = self.after(max(now, self.due))

    def rest(self, seconds: float, now: float) -> None:
        """Sleep through the beats of the next `seconds` from `now` (rooms/upkeep.py): the
        next wake-up is the last beat on this phase by `now + seconds`, if that is later
        than `due`."""
        if seconds > self.period:
            self.due = max(self.due, self.after(now + seconds - self.period))

    def after(self, now: float) -> float:
        """The first beat on this phase later than `now`."""
        due = self.phase + (math.floor((now - self.phase) / self.period) + 1) * self.period
        while due <= now + 1e-9:  # `now` on a beat, give or take the floats' rounding
            due += self.period
        return due


class Beats:
    """Hands each room opened a beat of `period` on a slot spread from the others'."""

    def __init__(self, period: float, slot: float = SLOT) -> None:
        self.period = period
        self.slots = max(1, round(period / slot))
        self._count = 0

    def beat(self, now: float) -> Beat:
        """A new room's beat, its first wake-up after `now`."""
        phase = int((self._count * GOLDEN) % 1.0 * self.slots) * self.period / self.slots
        self._count += 1
        beat = Beat(self.period, phase)
        beat.due = beat.after(now)
        return beat
