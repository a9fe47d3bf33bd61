"""A command's arguments as the timeline keeps them (the recorder's note of a command)."""

from __future__ import annotations

from typing import Any

RECORDED_STRING = 200  # characters of a string argument kept in the timeline
RECORDED_ITEMS = 16  # items of a list or object argument kept, two levels deep


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
