"""Fixtures running the store contract against PostgreSQL, on a fresh schema per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pairbook.store import Store
from pairbook.store.postgres import PostgresStore
from support.postgres import fresh_schema
from support.stores import StepClock, clock, clock_readings, store

__all__ = ["clock", "clock_readings", "postgres_url", "store", "store_handle"]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A store URL on a new, empty schema of the tests' PostgreSQL database."""
    with fresh_schema() as url:
        yield url


@pytest.fixture(params=["postgres"])
def store_handle(postgres_url: str, clock: StepClock) -> Callable[[], Store]:
    """Hands out a fresh, unopened handle on the same stored data each time it is called."""
    return lambda: PostgresStore(postgres_url, clock=clock)
