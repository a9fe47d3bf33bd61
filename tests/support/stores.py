"""Fixtures shared by the store contract suites: a stepping clock and an opened store.

The conftest running the contract defines `store_handle` (which back ends, on what data).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from pairbook.store import Store


class StepClock:
    """A wall clock that moves one second per reading and remembers what it said."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.readings: list[float] = []

    def __call__(self) -> float:
        self.now += 1.0
        self.readings.append(self.now)
        return self.now


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def clock_readings(clock: StepClock) -> list[float]:
    """Every time the store asked the clock, in order."""
    return clock.readings


@pytest.fixture
async def store(store_handle: Callable[[], Store]) -> AsyncIterator[Store]:
    async with store_handle() as store:
        yield store
