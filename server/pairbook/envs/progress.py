"""LatestLine: a progress callback whose lines are written (into a room's document) as fast
as the writer keeps up; lines that come while one is written coalesce into the newest."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable


class LatestLine:
    """Call it with each progress line; `publishing()` writes the newest one meanwhile."""

    def __init__(self, write: Callable[[str], Awaitable[None]], limit: int = 300) -> None:
        self._write = write
        self._limit = limit
        self._line = ""
        self._changed = asyncio.Event()

    def __call__(self, line: str) -> None:
        self._line = line
        self._changed.set()

    @contextlib.asynccontextmanager
    async def publishing(self) -> AsyncIterator[LatestLine]:
        """While inside, a task of its own writes the newest line after each change. (Not a
        TaskGroup: that would wrap an error of the body in an ExceptionGroup.)"""
        writer = asyncio.create_task(self._publish())
        try:
            yield self
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _publish(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            await self._write(self._line[: self._limit])
