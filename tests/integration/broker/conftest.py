"""Broker tests on a real Redis: a fresh key prefix of the machine's Redis per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.redis import fresh_prefix


@pytest.fixture
def redis_url() -> Iterator[str]:
    with fresh_prefix() as url:
        yield url
