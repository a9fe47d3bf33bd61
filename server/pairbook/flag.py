"""Flag: asyncio.Event's behaviour without its per-instance deque.

An `asyncio.Event` allocates a deque for its waiters when it is made (with its `__dict__`,
about 0.7 KB). A room and its services held dozens of events, idle for the room's whole life
(`bench/fanout/roomprofile.py`: the largest single item of a room's traced memory at 500
rooms). A Flag has slots only and makes its list of waiters when someone first waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal


class Flag:
    """An event flag for one event loop: `set`, `clear`, `is_set`, `await wait()`, as
    `asyncio.Event`. Waiters are woken in the order they started waiting."""

    __slots__ = ("_on_set", "_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        self._waiters: list[asyncio.Future[None]] | None = None
        self._on_set: Callable[[], None] | None = None

    def __repr__(self) -> str:
        waiting = len(self._waiters) if self._waiters else 0
        return f"<Flag {'set' if self._value else 'unset'}, waiters:{waiting}>"

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        if self._value:
            return
        self._value = True
        if self._waiters:
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)
        on_set, self._on_set = self._on_set, None
        if on_set is not None:
            on_set()

    def when_set(self, callback: Callable[[], None]) -> None:
        """Call `callback` once, the next time the flag is set (at once if it is set): a
        task that would only wait for the flag is started then instead of parked.

        One callback at a time (its one caller, `OpenRoom.start_services`, registers one
        per service's flag): a second while the first waits raises RuntimeError rather than
        replacing it."""
        if self._value:
            callback()
        elif self._on_set is not None:
            raise RuntimeError("expected one callback waiting on this flag, got a second")
        else:
            self._on_set = callback

    def clear(self) -> None:
        self._value = False

    async def wait_until(self, when: float) -> bool:
        """Wait until the flag is set or the loop's clock (`loop.time()`) reaches `when`:
        whether it is set then.

        What `asyncio.timeout_at` around `wait` does, for a loop that wakes every tick (each
        open room's, rooms/beat.py): a timer and a future per wait, and no exception (a
        timeout there cancels the task and raises twice, CancelledError then TimeoutError)."""
        if self._value:
            return True
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = []
        waiters.append(waiter)
        timer = loop.call_at(when, _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            waiters.remove(waiter)
            if not waiters:
                self._waiters = None
        return self._value

    async def wait(self) -> Literal[True]:
        """Return at once if the flag is set, else once it is (cancellable)."""
        if self._value:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = []
        waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            waiters.remove(waiter)  # the list stays this flag's while it holds a waiter
            if not waiters:
                self._waiters = None


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
