"""The port a room talks to a peer through; the websocket adapter lives in `pairbook.app`."""

from __future__ import annotations

from typing import Protocol


class ChannelClosed(Exception):
    """The other side went away."""


class Channel(Protocol):
    """A message channel to one peer: whole binary frames in and out."""

    async def send(self, frame: bytes) -> None:
        """Send one frame; raise ChannelClosed if the peer is gone."""

    async def receive(self) -> bytes:
        """The next frame; raise ChannelClosed when the peer has gone."""

    async def close(self, code: int, reason: str) -> None:
        """Close with a websocket close code and a human-readable reason."""
