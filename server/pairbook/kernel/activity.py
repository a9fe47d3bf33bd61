"""Activity: when a room's kernel (re)started and when its last run ended, which the
completion warm-up times itself by."""

from __future__ import annotations

import time

from pairbook.flag import Flag
from pairbook.kernel.session import KernelStatus


class Activity:
    """Set `ready` when a kernel process (re)started and answers; remember when the last
    run ended."""

    __slots__ = ("_quiet_since", "_status", "ready")

    def __init__(self) -> None:
        self.ready = Flag()
        self._status: KernelStatus | None = None
        self._quiet_since = time.monotonic()

    def on_status(self, status: KernelStatus) -> None:
        before, self._status = self._status, status
        if before in ("starting", "restarting") and status in ("idle", "busy"):
            self.ready.set()

    def run_ended(self) -> None:
        self._quiet_since = time.monotonic()

    def quiet_for(self, running: bool) -> float:
        """Seconds since the last run ended (0 while one runs or waits: `running`)."""
        return 0.0 if running else time.monotonic() - self._quiet_since
