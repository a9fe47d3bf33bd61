"""Names for the shapes pairbook passes around, defined once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType, TypeVar, dataclass_transform

RoomId = NewType("RoomId", str)
"""A room's name: the notebook's path relative to the served root, with '/' separators."""

UserId = NewType("UserId", str)
"""A stable user identifier, as granted by a token."""

ClientId = NewType("ClientId", int)
"""A Yjs client id (an unsigned 32-bit integer in stock clients)."""

SERVER_USER = UserId("pairbook:server")
"""The author of every change the server itself makes (file loads, autosave reloads)."""

SERVER_MAPS = UserId("pairbook:server-maps")
"""The author of the server's writes into its own maps (kernel, executions, mob, ...)."""

DISK_USER = UserId("pairbook:disk")
"""The author of changes read from a notebook file edited outside pairbook."""


T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def value(cls: type[T]) -> type[T]:
    """A frozen dataclass to the type checker (its fields are read-only: mypy refuses an
    assignment), a plain slotted one at run time, hashed by its fields as a frozen one is.

    For the value objects built on every update (a keystroke's struct and summary, the sync
    machine's effects): a frozen dataclass's `__init__` sets each field through
    `object.__setattr__`, 1.5 µs for ten fields against 0.3 plainly assigned, and at 2,000
    updates a second they were 5-7 % of the event loop (docs/benchmarks.md, many rooms)."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
