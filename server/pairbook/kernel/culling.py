"""IdleCull: how long the room's kernel has been idle, and (with `--cull-idle-after`) the
watch that stops it once idle that long, announcing the stop in the kernel map first."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

CULL_WARNING = 60.0  # seconds between the page's warning and the cull (at most)


def warning_lead(after: float) -> float:
    """Seconds before the cull that the warning appears: a minute, or a quarter of a short
    idle limit."""
    return min(CULL_WARNING, after / 4)


class IdleCull:
    """`touch()` on any sign of life (a status change, a queued run) restarts the idle
    clock; `watch()` (with `after` set) warns, then stops an idle kernel."""

    def __init__(
        self,
        after: float | None,
        clock: Callable[[], float] = time.time,
        *,
        idle_since: float | None = None,
    ) -> None:
        self.after = after
        self._clock = clock
        self.idle_since = clock() if idle_since is None else idle_since
        self._activity = asyncio.Event()

    def touch(self) -> None:
        self.idle_since = self._clock()
        self._activity.set()

    async def watch(
        self,
        idle: Callable[[], bool],
        warn: Callable[[float | None], Awaitable[None]],
        stop: Callable[[float], Awaitable[None]],
    ) -> None:
        """Forever: while `idle()` (a started kernel with nothing to run), `warn(at)` a
        while before the cull and `stop(idle_seconds)` at it; activity meanwhile withdraws
        the warning (`warn(None)`)."""
        after = self.after
        if after is None:
            return
        while True:
            self._activity.clear()
            if not idle():
                await self._activity.wait()
                continue
            deadline = self.idle_since + after
            if not await self._quiet_until(deadline - warning_lead(after)):
                continue
            await warn(deadline)
            if await self._quiet_until(deadline) and idle():
                await stop(self._clock() - self.idle_since)
            await warn(None)

    async def _quiet_until(self, at: float) -> bool:
        """Wait until `at` (wall clock); False if there was activity first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._activity.wait(), max(0.0, at - self._clock()))
            return False
        return True
