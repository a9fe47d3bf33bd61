"""The uvicorn server the supervised child runs: a stop signal drains the app first."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import FrameType

import uvicorn

log = logging.getLogger(__name__)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, except that the first stop signal drains the app (every peer gets a
    going-away close telling it to reconnect, every room is saved) before uvicorn's own
    shutdown, which would close the websockets with 1012 first.

    The supervisor asks for the drain itself; this is for a server process signalled
    directly (`pkill -f "pairbook serve"` reaches it along with the supervisor). A drain
    asked for twice (by the signal and by the supervisor) is harmless: peers are closed
    once, rooms saved again unchanged.
    """

    def __init__(self, config: uvicorn.Config, drain: Callable[[], Awaitable[object]]) -> None:
        super().__init__(config)
        self._drain = drain
        self._drain_asked = False
        self._drained = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_asked:  # signalled again while draining: uvicorn's own handling
            super().handle_exit(sig, frame)
        else:
            self._drain_asked = True

    async def on_tick(self, counter: int) -> bool:
        if self._drain_asked and not self._drained:
            self._drained = True
            try:
                await self._drain()
            except Exception:  # stopping anyway; the lifespan's shutdown still saves
                log.exception("could not drain before stopping")
            self.should_exit = True
        return await super().on_tick(counter)
