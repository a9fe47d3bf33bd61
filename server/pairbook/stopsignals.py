"""The stop signals a `pairbook` process received (Ctrl-C, SIGTERM, SIGHUP), caught from the
command's first line: pairbook takes a second or more to import, and a Ctrl-C meanwhile must
stop `pairbook serve` quietly, not print a KeyboardInterrupt traceback or start a server
nobody wants any more."""

from __future__ import annotations

import contextlib
import os
import select
import signal
from collections.abc import Callable
from types import FrameType
from typing import Self

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopSignals:
    """The stop signals received since `catch`, in order. `listener` is called with each one
    as it arrives (in the main thread, between two Python instructions)."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.listener: Callable[[int], None] | None = None
        # The handler wakes `wait` through a pipe: a byte written with os.write takes no lock.
        # A threading.Event would: its set() in the handler, run while the main thread held
        # the Event's lock inside wait(), deadlocked the supervisor (a Ctrl-C never heard).
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        self._caught = False

    def catch(self) -> Self:
        """Catch the stop signals from now on (again: nothing changes)."""
        if not self._caught:
            self._caught = True
            for signum in STOP_SIGNALS:
                signal.signal(signum, self._on_signal)
        return self

    def release(self) -> None:
        """Give the stop signals back their usual handling (if caught); one received
        meanwhile is delivered again, and ends the process as it would have without `catch`."""
        if not self._caught:
            return
        self._caught = False
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for signum in STOP_SIGNALS[1:]:
            signal.signal(signum, signal.SIG_DFL)
        if self.received:
            signal.signal(self.received[0], signal.SIG_DFL)  # a quiet end, no traceback
            signal.raise_signal(self.received[0])

    @property
    def requested(self) -> bool:
        """A stop was asked for."""
        return bool(self.received)

    @property
    def forced(self) -> bool:
        """A second Ctrl-C: stop at once."""
        return self.received.count(signal.SIGINT) >= 2

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a stop to be asked for; whether one was."""
        if not self.received:
            select.select([self._wake_read], [], [], timeout)
        return self.requested

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        with contextlib.suppress(BlockingIOError):  # full of earlier wake-ups: awake already
            os.write(self._wake_write, b"!")
        if self.listener is not None:
            self.listener(signum)


# Signal handlers belong to the process, so this does too: the command's entry catches the
# signals before importing the CLI, and the supervisor reads what they caught.
PROCESS_STOPS = StopSignals()
