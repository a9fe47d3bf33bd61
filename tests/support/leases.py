"""A process's LeaseKeeper on the real Redis, recording what it was told: the keepers of the
cluster tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from redis.asyncio import Redis

from pairbook.cluster import Lease, LeaseKeeper, RoomLeases
from pairbook.cluster.keeper import Fence


class LeaseProcess:
    """One process's keeper (`name`, leases of `ttl` seconds) and the leases it was told it
    `gained` and `lost`."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        name: str,
        ttl: float,
        *,
        fence: Fence | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.gained: list[Lease] = []
        self.lost: list[Lease] = []
        leases = RoomLeases(redis, name, prefix=prefix, ttl=ttl)
        self.keeper = LeaseKeeper(
            leases, gained=self._gain, lost=self._lose, fence=fence, clock=clock
        )

    async def _gain(self, lease: Lease) -> None:
        self.gained.append(lease)

    async def _lose(self, lease: Lease) -> None:
        self.lost.append(lease)


@contextlib.asynccontextmanager
async def running(process: LeaseProcess) -> AsyncIterator[asyncio.Task[None]]:
    """The keeper's rounds running in the background, cancelled at the end."""
    task = asyncio.create_task(process.keeper.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
