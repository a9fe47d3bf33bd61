"""Making an interrupt land: ipykernel publishes `execute_input` before IPython starts the
code, and a SIGINT in between can be lost. IPython's event callbacks (`pre_run_cell`, as
autoreload's) catch KeyboardInterrupt and print it, and then the code runs on; elsewhere in
ipykernel's own handling it aborts the request with no reply ("KeyboardInterrupt caught in
kernel"). Measured on this machine under load: about one first run in six lost it so.

`Landing` watches one run: an interrupt sent while its code was starting (in its first half
second, before any output of the run) is sent again once a second (twice at most) for as long
as the run goes on. Code that has been running for a while, or has shown output, gets one
SIGINT per request, as in JupyterLab: it may catch KeyboardInterrupt to save its work, and a
second one would cut that short. Closed — the run ended, or its kernel was restarted or shut
down under it — a Landing sends nothing more: a SIGINT meant for a run of the old kernel
would reach the new one as it starts (jupyter_client's interrupt waits for a kernel that is
starting, then signals it), which can kill it or break its first run."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("pairbook.kernel")

STARTING = 0.5
"""Seconds after `execute_input` during which the code may not have started yet."""

AGAIN_AFTER = 1.0
"""Seconds an interrupt sent while the code was starting gets to end the run."""

AGAIN = 2
"""How many times such an interrupt is sent again, at most."""

ABANDONED_REPLY_TRIES = 10
"""Polls of 0.2 s for the reply of a run that went idle after an interrupt: a request whose
handling the SIGINT cut short never gets one (instead of the usual 50)."""

CUT_SHORT: dict[str, Any] = {
    "ename": "KeyboardInterrupt",
    "evalue": "",
    "traceback": ["KeyboardInterrupt: the kernel stopped this run outside its code (no traceback)"],
}
"""The error output of a run whose request the interrupt cut short in ipykernel's handling:
no reply and no traceback came, and the cell says why it stopped, as an interrupted one does."""

LandingFactory = Callable[[Callable[[], Awaitable[None]]], "Landing"]
"""Makes a run's Landing around the call that sends the kernel an interrupt again."""


class Landing:
    """One run's interrupts: `began` at its `execute_input`, `sent` after each SIGINT,
    `close` once the run ended or its kernel went (an interrupt still to be sent again is
    dropped, and none is scheduled after)."""

    def __init__(
        self,
        send: Callable[[], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        again_after: float = AGAIN_AFTER,
    ) -> None:
        self._send = send
        self._clock = clock
        self._again_after = again_after
        self._began: float | None = None
        self._again: asyncio.Task[None] | None = None
        self._closed = False
        self.interrupted = False
        self.traceback_shown = False  # the run's error output came
        self._spoke = False  # an output of the run came: its code (or a callback) runs

    def began(self) -> None:
        self._began = self._clock()

    def sent(self) -> None:
        self.interrupted = True
        starting = self._began is not None and self._clock() - self._began < STARTING
        if starting and not self._spoke and self._again is None and not self._closed:
            self._again = asyncio.ensure_future(self._send_again())

    @property
    def pending(self) -> bool:
        """Whether an interrupt waits to be sent again."""
        return self._again is not None and not self._again.done()

    def shown(self, kind: str) -> None:
        """One output of the run came (`kind`: its IOPub message type)."""
        self._spoke = True
        self.traceback_shown |= kind == "error"

    async def _send_again(self) -> None:
        for attempt in range(1, AGAIN + 1):
            await asyncio.sleep(self._again_after)
            log.info(
                "interrupt sent again: the run went on (it may have landed before the code)",
                extra={"attempt": attempt},
            )
            await self._send()

    def explain(self, reply: object, on_output: Callable[[str, dict[str, Any]], None]) -> None:
        """After the run: one interrupted with no reply and no traceback shows CUT_SHORT."""
        if reply is None and self.interrupted and not self.traceback_shown:
            on_output("error", dict(CUT_SHORT))

    def close(self) -> None:
        self._closed = True
        if self._again is not None:
            self._again.cancel()
            self._again = None
