"""Fixtures for the scale-out tests: the machine's real Redis (127.0.0.1:6379), a key prefix
of their own per test, every key under it deleted afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

pytestmark = pytest.mark.cluster

REDIS_URL = os.environ.get("PAIRBOOK_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def prefix() -> str:
    return f"pairbook-test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def until(check: Callable[[], Awaitable[bool]], *, within: float = 10.0) -> None:
    """Wait for `check` to hold, looking again on every Redis round trip; fails past `within`
    seconds (a bound on a hang, not a measured time)."""
    import asyncio

    async with asyncio.timeout(within):
        # Redis holds the state looked at: there is no event to wait on.
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
