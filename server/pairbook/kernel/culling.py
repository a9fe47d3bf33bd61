"""IdleCull: how long the room's kernel has been idle, and (with `--cull-idle-after`) the
watch that stops it once idle that long, announcing the stop in the kernel map first; and
`watch_alive`, which notices a kernel that died while idle (killed, out of memory)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from pairbook.flag import Flag

CULL_WARNING = 60.0  # seconds between the page's warning and the cull (at most)
ALIVE_SECONDS = 2.0  # between two looks at an idle kernel's process


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
        self._activity = Flag()

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
        """Wait until `at` (by the injected clock, which the loop's timer need not match);
        False if there was activity first."""
        while (left := at - self._clock()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._activity.wait(), left)
                return False
        return not self._activity.is_set()


async def watch_alive(
    idle: Callable[[], bool],
    alive: Callable[[], Awaitable[bool]],
    died: Callable[[], Awaitable[None]],
    every: float = ALIVE_SECONDS,
) -> None:
    """Forever: every `every` seconds, an `idle()` kernel that is not `alive()` (and still
    idle once that is known) is reported with `died()`. A run notices a death by itself."""
    while True:
        await asyncio.sleep(every)
        if idle() and not await alive() and idle():
            await died()
