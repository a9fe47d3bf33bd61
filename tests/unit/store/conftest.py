"""Fixtures running the store contract against every back end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from pairbook.store import MemoryStore, SQLiteStore, Store


class FakeClock:
    """A wall clock that moves one second per reading and remembers what it said."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.readings: list[float] = []

    def __call__(self) -> float:
        self.now += 1.0
        self.readings.append(self.now)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clock_readings(clock: FakeClock) -> list[float]:
    """Every time the store asked the clock, in order."""
    return clock.readings


@pytest.fixture(params=["memory", "sqlite"])
def store_handle(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Callable[[], Store]:
    """Hands out a fresh, unopened handle on the same stored data each time it is called."""
    if request.param == "memory":
        memory = MemoryStore(clock=clock)
        return lambda: memory  # the object is its own backing: reopening means reusing it
    return lambda: SQLiteStore(tmp_path / "pairbook.sqlite", clock=clock)


@pytest.fixture
async def store(store_handle: Callable[[], Store]) -> AsyncIterator[Store]:
    async with store_handle() as store:
        yield store
