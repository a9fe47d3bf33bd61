"""`Running`: the code a session runs (its request, callbacks, stdin prompt and interrupts'
Landing), and `reply_to`, the wait for a request's reply on the shell channel."""

from __future__ import annotations

import asyncio
import contextlib
import queue
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pairbook.kernel.landing import Landing

OutputCallback = Callable[[str, dict[str, Any]], None]
InputCallback = Callable[[str, bool], Awaitable[str]]

REPLY_TRIES = 50
"""Polls of 0.2 s for a request's reply, at most."""


@dataclass(slots=True)
class Running:
    """The code a session is running: its request, callbacks and stdin prompt under way."""

    msg_id: str
    on_output: OutputCallback
    on_input: InputCallback
    landing: Landing
    execution_count: int | None = None
    asking: asyncio.Task[str] | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # set by `end`

    @property
    def gone(self) -> bool:
        """Whether its kernel was restarted or shut down under it: the run is over."""
        return self.ended.is_set()

    def end(self) -> None:
        """Its kernel goes: no interrupt of the run is sent again, and its wait ends."""
        self.landing.close()
        self.ended.set()


async def reply_to(
    client: Any,
    msg_id: str,
    alive: Callable[[], Awaitable[bool]],
    tries: int = REPLY_TRIES,
    gone: asyncio.Event | None = None,
) -> dict[str, Any] | None:
    """The reply to the request `msg_id`; None when none came in `tries` polls, the kernel
    died, or, at once, when `gone` is set (the request's kernel was restarted or shut down).
    The old kernel's reply may never come — it says it is idle on IOPub, and the reply
    travels on the shell channel: killed in between, it never sent it — and the new
    kernel's never will."""
    for _ in range(tries):
        if gone is not None and gone.is_set():
            return None
        try:
            reply = await _poll(client, gone)
        except queue.Empty:
            if not await alive():
                return None
            continue
        if reply is not None and reply["parent_header"].get("msg_id") == msg_id:
            return reply
    return None


async def _poll(client: Any, gone: asyncio.Event | None) -> dict[str, Any] | None:
    """One poll of 0.2 s of the shell channel, given up when `gone` is set (None then):
    whoever reads the channel next (a restart waiting for its new kernel, a shutdown for
    the run's reply) is its only reader. A poll cancelled takes no message (pyzmq leaves
    it to the next reader)."""
    if gone is None:
        reply: dict[str, Any] = await client.get_shell_msg(timeout=0.2)
        return reply
    polling = asyncio.ensure_future(client.get_shell_msg(timeout=0.2))
    stop = asyncio.ensure_future(gone.wait())
    try:
        await asyncio.wait({polling, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        polling.cancel()  # no-op once it is done
    with contextlib.suppress(asyncio.CancelledError):
        return dict(await polling)
    return None
