"""Commands: routes a peer's pairbook command to the service of the room that owns it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pairbook.rooms.peer import Peer

Handler = Callable[[Peer, dict[str, Any]], Awaitable[dict[str, Any]]]


class CommandRouter:
    """Each room service (kernel runner, kernel-state view, mob, recorder) registers the
    command names it answers; a command nobody registered is an error for the sender."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def add(self, names: Iterable[str], handler: Handler) -> None:
        for name in names:
            if name in self._handlers:
                raise ValueError(f"command {name!r} is registered twice")
            self._handlers[name] = handler

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._handlers)

    async def __call__(self, peer: Peer, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("command")
        handler = self._handlers.get(name) if isinstance(name, str) else None
        if handler is None:
            raise LookupError(f"unknown command {name!r}")
        return await handler(peer, body)
