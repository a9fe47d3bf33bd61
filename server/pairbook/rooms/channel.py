"""The port a room talks to a peer through, and its in-memory implementation; the websocket
adapter lives in `pairbook.app`."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol


class ChannelClosed(Exception):
    """The other side went away; `code` is the close code the connection ended with, where
    the server's websocket layer says (None otherwise)."""

    def __init__(self, code: int | None = None) -> None:
        super().__init__()
        self.code = code


class Channel(Protocol):
    """A message channel to one peer: whole binary frames in and out."""

    async def send(self, frame: bytes) -> None:
        """Send one frame; raise ChannelClosed if the peer is gone."""

    def send_now(self, frame: bytes) -> bool:
        """Send one frame at once if the transport takes it without waiting; False (nothing
        sent) otherwise: then `send` it. Never raises: a closed channel answers False."""

    def backlog(self) -> int:
        """Bytes the connection took (`send`, `send_now`) that have not reached the peer's
        socket yet: the server's own write buffer, which the peer's send bound counts with
        its queue. 0 where the server keeps no such buffer or does not say."""

    async def receive(self) -> bytes:
        """The next frame; raise ChannelClosed when the peer has gone."""

    async def close(self, code: int, reason: str) -> None:
        """Close with a websocket close code and a human-readable reason."""

    def abort(self) -> None:
        """Drop the connection at once, whatever it still holds unsent: for a peer whose
        socket stayed full so long that even its close frame could not be written."""


MEMORY_CHANNEL_FRAMES = 64
"""How many frames one direction of a memory channel holds before a send waits: a socket's
buffer, so a peer that stops reading stalls its sender as over a network."""


class _Pipe:
    """One direction of a memory channel: a bounded first-in first-out queue of frames."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"expected a capacity of at least 1 frame, got {capacity}")
        self.capacity = capacity
        self.frames: deque[bytes] = deque()
        self.closed = False
        self._changed = asyncio.Event()

    def wake(self) -> None:
        """Wake every waiter (each waits on the event current when it started)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def put(self, frame: bytes) -> None:
        while not self.closed and len(self.frames) >= self.capacity:
            await self._changed.wait()
        if self.closed:
            raise ChannelClosed()
        self.frames.append(frame)
        self.wake()

    def put_now(self, frame: bytes) -> bool:
        if self.closed or len(self.frames) >= self.capacity:
            return False
        self.frames.append(frame)
        self.wake()
        return True

    async def get(self) -> bytes:
        while not self.frames and not self.closed:
            await self._changed.wait()
        if not self.frames:
            raise ChannelClosed()
        frame = self.frames.popleft()
        self.wake()
        return frame

    def take_all(self) -> list[bytes]:
        frames = list(self.frames)
        self.frames.clear()
        self.wake()
        return frames

    def close(self) -> None:
        self.closed = True
        self.wake()


class MemoryChannel:
    """One end of an in-memory channel (see `memory_channel_pair`): the Channel port without
    a network, for tests and in-process peers.

    As over a websocket: a send waits while the other end has `capacity` frames unread;
    closing either end closes both, the other end still reads what was sent before the
    close, and both ends learn the close code and reason (`close_frame`)."""

    def __init__(self, inbox: _Pipe, outbox: _Pipe) -> None:
        self._inbox = inbox
        self._outbox = outbox
        self._other: MemoryChannel | None = None
        self.close_frame: tuple[int, str] | None = None

    def __repr__(self) -> str:
        return f"MemoryChannel(unread={len(self._inbox.frames)}, closed={self.close_frame})"

    @property
    def closed(self) -> bool:
        return self.close_frame is not None

    async def send(self, frame: bytes) -> None:
        if self.closed:
            raise ChannelClosed()
        await self._outbox.put(frame)

    def send_now(self, frame: bytes) -> bool:
        return not self.closed and self._outbox.put_now(frame)

    def backlog(self) -> int:
        return 0  # the pipe stands for the socket's own buffer, which no bound counts

    async def receive(self) -> bytes:
        return await self._inbox.get()

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.close_frame = (code, reason)
        if self._other is not None and self._other.close_frame is None:
            self._other.close_frame = (code, reason)
        self._outbox.close()
        # What reached this end before it closed is dropped, as a closed socket does.
        self._inbox.take_all()
        self._inbox.close()

    def abort(self) -> None:
        """Closed at once, unread frames dropped: the other end reads the close at once
        (1006, as a dropped connection reads)."""
        if self.closed:
            return
        self.close_frame = (1006, "")
        if self._other is not None and self._other.close_frame is None:
            self._other.close_frame = (1006, "")
        self._outbox.take_all()
        self._outbox.close()
        self._inbox.take_all()
        self._inbox.close()

    def unread(self) -> list[bytes]:
        """Every frame waiting at this end, taken without waiting (for tests)."""
        return self._inbox.take_all()


def memory_channel_pair(
    capacity: int = MEMORY_CHANNEL_FRAMES,
) -> tuple[MemoryChannel, MemoryChannel]:
    """Two connected ends: what one sends, the other receives (the room's end first, the
    client's second by convention)."""
    there, back = _Pipe(capacity), _Pipe(capacity)
    ours = MemoryChannel(inbox=back, outbox=there)
    theirs = MemoryChannel(inbox=there, outbox=back)
    ours._other = theirs
    theirs._other = ours
    return ours, theirs
