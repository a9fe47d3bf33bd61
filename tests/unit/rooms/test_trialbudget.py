"""TrialBudget: each person's share of the loop for trial copies."""

from __future__ import annotations

from pairbook.rooms.trialbudget import TrialBudget


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_person_waits_once_their_copies_pass_the_burst_and_earns_it_back() -> None:
    clock = Clock()
    budget = TrialBudget(rate=0.1, burst=0.1, clock=clock)
    assert budget.delay("ana") == 0.0
    budget.spent("ana", 0.05)
    assert budget.delay("ana") == 0.0  # within the burst
    budget.spent("ana", 0.25)  # 0.3 s spent: 0.2 over the burst, earned back at 0.1 a second
    assert round(budget.delay("ana"), 9) == 2.0
    assert budget.delay("bob") == 0.0  # another person is not held back
    clock.now += 1.0
    assert round(budget.delay("ana"), 9) == 1.0
    clock.now += 1.0
    assert budget.delay("ana") == 0.0
    clock.now += 10.0
    budget.spent("ana", 0.05)  # what was earned back is not banked beyond nothing owed
    assert budget.delay("ana") == 0.0
