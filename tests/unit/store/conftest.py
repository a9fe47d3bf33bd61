"""Fixtures running the store contract against every back end that needs no server.

PostgreSQL runs the same contract in tests/integration/store (it needs the real server).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pairbook.store import MemoryStore, SQLiteStore, Store
from support.stores import StepClock, clock, clock_readings, store

__all__ = ["clock", "clock_readings", "store", "store_handle"]


@pytest.fixture(params=["memory", "sqlite"])
def store_handle(
    request: pytest.FixtureRequest, tmp_path: Path, clock: StepClock
) -> Callable[[], Store]:
    """Hands out a fresh, unopened handle on the same stored data each time it is called."""
    if request.param == "memory":
        memory = MemoryStore(clock=clock)
        return lambda: memory  # the object is its own backing: reopening means reusing it
    return lambda: SQLiteStore(tmp_path / "pairbook.sqlite", clock=clock)
