"""Commands: routes a peer's pairbook command to the service of the room that owns it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pairbook.rooms.peer import Peer

Handler = Callable[[Peer, dict[str, Any]], Awaitable[dict[str, Any]]]
Guard = Callable[[Peer, str], None]
"""Raises PermissionError when a peer may not send a command right now (mob mode)."""

UNRECORDED_COMMANDS = frozenset(
    {"whoami", "presence", "kernels", "blame", "mob-clock", "mob-summary"}
)
"""Commands that only read: not worth a timeline event."""
RECORDED_STRING = 200  # characters of a string argument kept in the timeline
RECORDED_ITEMS = 16  # items of a list or object argument kept, two levels deep


class CommandRouter:
    """Each room service (kernel runner, kernel-state view, mob, recorder) registers the
    command names it answers; a command nobody registered is an error for the sender."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._guards: list[Guard] = []

    def add(self, names: Iterable[str], handler: Handler) -> None:
        for name in names:
            if name in self._handlers:
                raise ValueError(f"command {name!r} is registered twice")
            self._handlers[name] = handler

    def guard(self, check: Guard) -> None:
        """Every command passes `check` before its handler runs."""
        self._guards.append(check)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._handlers)

    async def __call__(self, peer: Peer, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("command")
        handler = self._handlers.get(name) if isinstance(name, str) else None
        if handler is None:
            raise LookupError(f"unknown command {name!r}")
        for check in self._guards:
            check(peer, str(name))
        return await handler(peer, body)


def recorded_arguments(body: dict[str, Any]) -> dict[str, Any]:
    """A command's arguments as the timeline keeps them: no request id, no input() answer,
    strings and collections cut short (the command's effects are in the log anyway)."""
    return {
        key[:RECORDED_STRING]: _capped(value, 1)
        for key, value in list(body.items())[: RECORDED_ITEMS + 2]
        if key not in ("id", "value")
    }


def _capped(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= RECORDED_STRING else value[:RECORDED_STRING] + "…"
    if isinstance(value, list):
        if depth >= 2:
            return f"[{len(value)} items]"
        return [_capped(item, depth + 1) for item in value[:RECORDED_ITEMS]]
    if isinstance(value, dict):
        if depth >= 2:
            return f"{{{len(value)} keys}}"
        items = list(value.items())[:RECORDED_ITEMS]
        return {str(k)[:RECORDED_STRING]: _capped(v, depth + 1) for k, v in items}
    return value
