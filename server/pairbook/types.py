"""Names for the shapes pairbook passes around, defined once."""

from __future__ import annotations

from typing import NewType

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
