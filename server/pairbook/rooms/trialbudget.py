"""TrialBudget: how much of the event loop one person's trial copies may take.

An update that touches the notebook's structure or inserts a shared type is first tried on a
copy of the document (`rooms/trial.py`): milliseconds to tens of milliseconds on a large
notebook (0.7 / 6.8 / 24 ms at 30 / 300 / 1,000 cells, `bench/structure.py`), on the event
loop. A person inserting cells pays it now and then; an editor sending such updates as fast
as the rate limit lets them (400 a second) stopped the whole server for seconds (300 tiny
frames on a 1,000-cell notebook: `/api/health` took 10.3 s). So each person has a budget of
copying time: `rate` seconds a second, `burst` at once. Past it, that person's next update
waits until the budget allows it (their frames queue in their own socket); everyone else's
go on at once. A person holding B down in a 1,000-cell notebook gets about four new cells a
second instead of thirty.
"""

from __future__ import annotations

import time
from collections.abc import Callable

RATE = 0.1
"""Seconds of trial copies one person may cost the loop per second, sustained."""

BURST = 0.1
"""...and at once, before their updates wait."""


class TrialBudget:
    """Per person (user id), the trial time they spent and have not yet earned back."""

    def __init__(
        self, rate: float = RATE, burst: float = BURST, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._debts: dict[str, tuple[float, float]] = {}  # user -> (debt, when)

    def _debt(self, user: str, now: float) -> float:
        debt, when = self._debts.get(user, (0.0, now))
        return max(0.0, debt - (now - when) * self._rate)

    def spent(self, user: str, seconds: float) -> None:
        """`user`'s update cost the loop `seconds` of trial."""
        now = self._clock()
        self._debts[user] = (self._debt(user, now) + seconds, now)

    def delay(self, user: str) -> float:
        """Seconds `user`'s next update must wait (0: none)."""
        if user not in self._debts:
            return 0.0
        now = self._clock()
        debt = self._debt(user, now)
        if debt == 0.0:
            del self._debts[user]  # earned back: forgotten
            return 0.0
        return max(0.0, (debt - self._burst) / self._rate)
