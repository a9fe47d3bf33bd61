"""A peer: one connection in a room, with its bounded send queue and rate limit."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from pairbook.auth import Role, User
from pairbook.protocol.closecodes import CloseCode
from pairbook.rooms.channel import Channel, ChannelClosed


class PeerState(Enum):
    """Where a peer is in its life."""

    SYNCING = "syncing"  # connected; has not been sent the room's state yet
    LIVE = "live"  # synced; receives every update
    CLOSED = "closed"


class TokenBucket:
    """Allows `rate` events a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class Peer:
    """One connection: who it is, what it may do, and the frames waiting to reach it."""

    def __init__(
        self,
        key: str,
        user: User,
        role: Role,
        channel: Channel,
        *,
        queue_limit: int,
        limiter: TokenBucket,
        send_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = key
        self.user = user
        self.role = role
        self.channel = channel
        self.limiter = limiter
        self.state = PeerState.SYNCING
        self.awareness_ids: set[int] = set()
        self.speaks_pairbook = False
        self._clock = clock
        self._queue: deque[bytes] = deque()
        self._queue_limit = queue_limit
        self._send_timeout = send_timeout
        self._wakeup = asyncio.Event()
        self._close: tuple[CloseCode, str] | None = None
        self.close_code: CloseCode | None = None

    def __repr__(self) -> str:
        return f"Peer({self.key!r}, {self.user.name!r}, {self.role.value}, {self.state.value})"

    @property
    def live(self) -> bool:
        return self.state is PeerState.LIVE

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    def go_live(self) -> None:
        if self.state is not PeerState.SYNCING:
            raise RuntimeError(f"expected peer state syncing, got {self.state.value}")
        self.state = PeerState.LIVE

    def send(self, frame: bytes) -> None:
        """Queue a frame; a peer whose queue is full is disconnected, never waited for."""
        if self.state is PeerState.CLOSED or self._close is not None:
            return
        if len(self._queue) >= self._queue_limit:
            self.request_close(
                CloseCode.SLOW_CONSUMER,
                "you fell too far behind the room; reconnect to resync",
            )
            return
        self._queue.append(frame)
        self._wakeup.set()

    def request_close(self, code: CloseCode, reason: str) -> None:
        """Ask the sender loop to close this connection once it gets to it (queue dropped)."""
        if self._close is None:
            self._close = (code, reason)
            self._queue.clear()
            self._wakeup.set()

    async def run_sender(self) -> None:
        """Drain the queue into the channel until a close is requested; owned by the
        connection, which then closes the channel (with `close_request`) once it has also
        stopped receiving — some ASGI servers cannot close while a receive is pending.

        A send that cannot complete within the send timeout (the peer stopped reading and
        its socket is full) ends the connection as a slow consumer."""
        queue = self._queue
        timeout = self._send_timeout
        send = self.channel.send
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                # One deadline per batch, not a task per frame: this loop runs for every
                # frame of every peer, tens of thousands of times a second.
                async with asyncio.timeout(timeout):
                    while queue:
                        await send(queue.popleft())
                if self._close is not None:
                    return
        except TimeoutError:
            self.request_close(CloseCode.SLOW_CONSUMER, "you stopped reading; reconnect to resync")
        except ChannelClosed:
            self.state = PeerState.CLOSED

    def mark_gone(self) -> None:
        """The other side closed the connection: nothing more to send or close."""
        self.state = PeerState.CLOSED
        self.request_close(CloseCode.NORMAL, "")

    @property
    def close_request(self) -> tuple[CloseCode, str] | None:
        return self._close

    async def close(self) -> None:
        """Close the channel with the requested code (normal closure if none was asked)."""
        code, reason = self._close or (CloseCode.NORMAL, "")
        self.close_code = code
        if self.state is not PeerState.CLOSED:
            self.state = PeerState.CLOSED
            with contextlib.suppress(TimeoutError, ChannelClosed):
                await asyncio.wait_for(self.channel.close(int(code), reason), self._send_timeout)
