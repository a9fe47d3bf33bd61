"""Activity: when a room's kernel (re)started and when its last run ended, which the
completion warm-up times itself by."""

from __future__ import annotations

import asyncio
import time

from pairbook.flag import Flag
from pairbook.kernel.session import KernelStatus


class Activity:
    """Set `ready` when a kernel process (re)started and answers; remember when the last
    run ended."""

    __slots__ = ("_next", "_quiet_since", "_status", "ready")

    def __init__(self) -> None:
        self.ready = Flag()
        self._status: KernelStatus | None = None
        self._quiet_since = time.monotonic()
        self._next: asyncio.Future[None] | None = None

    def on_status(self, status: KernelStatus) -> None:
        before, self._status = self._status, status
        if before in ("starting", "restarting") and status in ("idle", "busy"):
            self.ready.set()
        if self._next is not None and not self._next.done():
            self._next.set_result(None)

    def next_status(self) -> asyncio.Future[None]:
        """Done at the kernel's next status change (every waiter then looks again)."""
        if self._next is None or self._next.done():
            self._next = asyncio.get_running_loop().create_future()
        return self._next

    def run_ended(self) -> None:
        self._quiet_since = time.monotonic()

    def quiet_for(self, running: bool) -> float:
        """Seconds since the last run ended (0 while one runs or waits: `running`)."""
        return 0.0 if running else time.monotonic() - self._quiet_since
