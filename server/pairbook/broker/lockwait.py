"""A broker lock waited for: one process at a time does something once for all of them
(builds a room's log from its notebook file), the others wait and find it done."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from pairbook.broker.port import Broker

log = logging.getLogger("pairbook.broker")


@contextlib.asynccontextmanager
async def waited_lock(
    broker: Broker, room: str, name: str, *, within: float = 30.0, poll: float = 0.05
) -> AsyncIterator[bool]:
    """Hold the room's `name` lock for the block, waiting up to `within` seconds while
    another process holds it; yields whether it is held (False: the wait ran out, or the
    broker is away — the block runs anyway, as it would with one process)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with broker.lock(room, name) as ours:
            if ours or loop.time() >= deadline:
                if not ours:
                    log.warning("lock not had in time", extra={"room": room, "lock": name})
                yield ours
                return
        await asyncio.sleep(poll)
