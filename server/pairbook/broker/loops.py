"""Loops: the long-lived background tasks of one object (a broker's reader and publisher,
an owner's lease keeper and inbox reader), started together and stopped together.

A loop that fails with an exception nobody expected is not left dead and silent: the
failure is logged with its traceback, counted, and the loop started again after a pause
(its owner's `restarted` hook runs first, to make up for what the dead loop left undone)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

Loop = Callable[[], Awaitable[None]]
T = TypeVar("T")


async def let_finish(read: Awaitable[T]) -> T:
    """Await a blocking read that is never cancelled half way (redis-py on Python 3.11 can
    then wait on its socket for ever): cancelled, the caller waits for it to end, at most
    its block later. Its own failure after the caller gave up is seen, never reported as
    a task exception nobody retrieved (a second cancel used to skip seeing it)."""
    task = asyncio.ensure_future(read)
    task.add_done_callback(_seen)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


def _seen(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


class Loops:
    """Named loops run until `stop()`; each restarted `pause` seconds after a failure."""

    def __init__(self, log: logging.Logger, *, pause: float = 1.0) -> None:
        self._log = log
        self._pause = pause
        self._tasks: list[asyncio.Task[None]] = []
        self.failures = 0

    def start(self, name: str, loop: Loop, *, restarted: Callable[[], None] | None = None) -> None:
        """Run `loop()` in a task of its own; `restarted()` runs before each restart."""
        task = asyncio.create_task(self._supervise(name, loop, restarted), name=name)
        self._tasks.append(task)

    async def _supervise(self, name: str, loop: Loop, restarted: Callable[[], None] | None) -> None:
        while True:
            try:
                await loop()
                return
            except Exception:
                self.failures += 1
                self._log.exception(
                    "background task failed; starting it again", extra={"task": name}
                )
            await asyncio.sleep(self._pause)
            if restarted is not None:
                restarted()

    async def stop(self) -> None:
        """Cancel every loop and wait until each has ended. A loop still running a pause
        after its cancel is cancelled again: a library can swallow a cancel (redis-py, in
        the middle of a command), and the loop then waited for work for ever."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            while not task.done():
                await asyncio.wait([task], timeout=self._pause)
                if not task.done():
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
