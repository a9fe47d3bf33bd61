"""A peer: one connection in a room, with its bounded send queue and rate limit
(`TokenBucket`, rooms/ratelimit.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from pairbook.auth import Role, User
from pairbook.errors import is_failure
from pairbook.protocol.awareness import encode_awareness_update
from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import encode_awareness
from pairbook.rooms.channel import Channel, ChannelClosed
from pairbook.rooms.coalesce import SHARED, Coalescer
from pairbook.rooms.ratelimit import TokenBucket

log = logging.getLogger("pairbook.room")


class PeerState(Enum):
    """Where a peer is in its life."""

    SYNCING = "syncing"  # connected; has not been sent the room's state yet
    LIVE = "live"  # synced; receives every update
    CLOSED = "closed"


SEND_BUFFER_BYTES = 8 * 1024 * 1024
"""Default bound on the bytes waiting to reach one peer (see `Peer.send`)."""

KEEPALIVE = encode_awareness(encode_awareness_update(()))
"""An awareness update of no entries: every y-protocols client applies it as nothing."""


class Peer:
    """One connection: who it is, what it may do, and the frames waiting to reach it.

    A frame goes straight to the channel when nothing waits before it and the channel takes
    it without waiting (`Channel.send_now`). Otherwise it waits in a queue bounded in frames
    (`queue_limit`) and, with what the connection itself still holds (`Channel.backlog`: the
    server's write buffer), in bytes (`buffer_limit`); one sender task per peer
    (`run_sender`) writes the queue to the channel, so a peer that cannot keep up holds up
    nobody else. A frame that would take it past a bound closes the peer as a slow consumer
    (4413) at once: its queue is dropped and a send it is blocked in is abandoned, so the
    room forgets it without waiting for its socket. A send blocked for `send_timeout` (one
    to two times it) does the same for a peer that stopped reading while little is sent to
    it; a close frame the socket has not taken in `send_timeout` drops the connection
    (`Channel.abort`) with what it holds. A peer that fell behind gets its queued document
    updates merged into one frame (`rooms.coalesce`): one send instead of many, so it
    catches up.

    A connection that calls `send_on_demand` has no sender task while its peer keeps up:
    a task is started when a frame has to wait and ends once the queue is written (at
    2,000 connections a parked task each was ~1.5 KB a connection, `bench/fanout`'s many
    rooms); the connection is then interrupted, once, when a close is requested or the
    channel closes, and calls `finish_sending` when it ends."""

    __slots__ = (
        "__weakref__", "_abandoned", "_buffer_limit", "_buffered", "_clock", "_close",
        "_coalescer", "_head", "_interrupt", "_queue", "_queue_limit", "_send_timeout",
        "_sender", "_sending", "_sent", "_sent_seen", "_waiter", "_watchdog", "awareness_ids",
        "channel", "close_code", "grant", "key", "limiter", "role", "slow_bytes", "slow_since",
        "speaks_pairbook", "state", "user",
    )  # fmt: skip

    def __init__(
        self,
        key: str,
        user: User,
        role: Role,
        channel: Channel,
        *,
        queue_limit: int,
        limiter: TokenBucket,
        buffer_limit: int = SEND_BUFFER_BYTES,
        send_timeout: float = 10.0,
        coalescer: Coalescer = SHARED,
        clock: Callable[[], float] = time.monotonic,
        grant: str = "",
    ) -> None:
        self.key = key
        self.grant = grant  # the id of the grant (token) it came in with
        self.user = user
        self.role = role
        self.channel = channel
        self.limiter = limiter
        self.state = PeerState.SYNCING
        self.awareness_ids: set[int] = set()
        self.speaks_pairbook = False
        self._clock = clock
        self._queue: deque[bytes] | None = None  # made when a frame first has to wait
        self._queue_limit = queue_limit
        self._buffer_limit = buffer_limit
        self._coalescer = coalescer
        self._buffered = 0  # bytes queued plus the frame being sent
        self._head = 0  # the last frame taken when nothing waited: it may exceed the bound
        self._send_timeout = send_timeout
        self._waiter: asyncio.Future[None] | None = None  # set while the sender is idle
        self._sender: asyncio.Task[None] | None = None
        self._sending = False  # the sender is awaiting the channel
        self._abandoned = False  # the send in flight was cancelled by `request_close`
        self._sent = 0  # frames the channel took: the watchdog's measure of progress
        self._sent_seen = 0  # `_sent` at the last `keep_alive`
        self._watchdog: asyncio.TimerHandle | None = None
        self._interrupt: Callable[[], None] | None = None  # see `send_on_demand`
        self._close: tuple[CloseCode, str] | None = None
        self.close_code: CloseCode | None = None
        self.slow_since: float | None = None  # when it was found too slow (bound or stall)
        # Then: the bytes queued (with the frame in flight) and those the connection held.
        self.slow_bytes = (0, 0)

    def __repr__(self) -> str:
        return f"Peer({self.key!r}, {self.user.name!r}, {self.role.value}, {self.state.value})"

    @property
    def live(self) -> bool:
        return self.state is PeerState.LIVE

    @property
    def queue_depth(self) -> int:
        return 0 if self._queue is None else len(self._queue)

    @property
    def buffered_bytes(self) -> int:
        """Bytes waiting to reach the peer: queued, plus the frame being sent."""
        return self._buffered

    def go_live(self) -> None:
        if self.state is not PeerState.SYNCING:
            raise RuntimeError(f"expected peer state syncing, got {self.state.value}")
        self.state = PeerState.LIVE

    def send(self, frame: bytes, *, whole: bool = False) -> None:
        """Queue a frame; a peer it would take past a bound is disconnected, never waited
        for. A frame is always taken when nothing waits, and one sent `whole` (a join's
        step 2, which may exceed the bound by itself) while what waits is within it.
        `rooms.relay` writes its common case out (the first two checks): change both."""
        if self._close is not None or self.state is PeerState.CLOSED:
            return
        if not self._buffered and self.channel.send_now(frame):
            # Nothing queued or in flight, and the socket takes it now: no wake-up of the
            # sender, no await (a relay to N peers is N writes, as in python-websockets'
            # `broadcast`).
            self._sent += 1
            self._head = len(frame)
            return
        self._enqueue(frame, whole)

    def _enqueue(self, frame: bytes, whole: bool) -> None:
        """Queue a frame the channel did not take at once (`send`'s bounds)."""
        waiting = self._buffered + self.channel.backlog()
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        if not waiting:
            self._head = len(frame)
        elif whole and waiting <= self._buffer_limit:
            self._head = max(self._head, waiting + len(frame))
        elif waiting + len(frame) > max(self._buffer_limit, self._head) or (
            len(queue) >= self._queue_limit
        ):
            # Bytes in the server's write buffer count as much as queued ones: a peer that
            # stopped reading holds both. A frame larger than the bound (a join's step 2)
            # raises it for as long as it may still be in the write buffer.
            self._too_slow("you fell too far behind the room; reconnect to resync")
            return
        self._buffered += len(frame)
        queue.append(frame)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        elif self._interrupt is not None and self._sender is None:
            self._start_sender()

    def keep_alive(self) -> None:
        """Called every keepalive period (RoomPolicy.keepalive): a peer that was sent nothing
        since the last call, and has nothing waiting, is sent an empty awareness update.
        y-websocket's client closes and reopens a socket it heard nothing on for 30 s (its
        `messageReconnectTimeout`), failing its pending requests: a person alone in a room
        heard nothing while nobody else was there to move a cursor (the stock server echoes
        each client's own awareness back to it; pairbook relays it to the others only)."""
        if self._sent == self._sent_seen and not self._buffered:
            self.send(KEEPALIVE)
        self._sent_seen = self._sent

    def _too_slow(self, reason: str) -> None:
        self.slow_since = self._clock()
        self.slow_bytes = (self._buffered, self.channel.backlog())
        self.request_close(CloseCode.SLOW_CONSUMER, reason)
        if self._sending and self._sender is not None:
            # Blocked on a socket the peer does not read: give up that send now, so the
            # connection closes without waiting for it.
            self._abandoned = True
            self._sender.cancel()

    def request_close(self, code: CloseCode, reason: str) -> None:
        """Ask the sender loop to close this connection once it gets to it (queue dropped)."""
        if self._close is None:
            self._close = (code, reason)
            if self._queue is not None:
                self._queue.clear()
            self._buffered = 0
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            self._wake_connection()

    def send_on_demand(self, interrupt: Callable[[], None]) -> None:
        """Write waiting frames from a task started for each backlog, not from `run_sender`;
        `interrupt` is called once, when a close is requested or the channel closed: the
        connection stops receiving then (its receive may be pending), and closes."""
        self._interrupt = interrupt
        if self._close is not None:
            self._wake_connection()
        elif self._queue and self._sender is None:  # queued before (the join's frames)
            self._start_sender()

    def _start_sender(self) -> None:
        # Owned by the peer, awaited by its connection (`finish_sending`).
        loop = asyncio.get_running_loop()
        self._sender = loop.create_task(self._send_backlog(), name=f"send {self.key}")

    def _wake_connection(self) -> None:
        interrupt = self._interrupt
        if interrupt is not None:
            self._interrupt = _interrupted
            interrupt()

    async def finish_sending(self, timeout: float) -> None:
        """The connection ends: the send in flight gets up to `timeout` seconds (none after a
        close the server asked for: the queue is dropped, the peer leaves the room now), then
        the backlog task (if any) is stopped. No backlog task starts after this: a frame relayed
        while the connection ends waits (its bounded queue) until the peer leaves the room."""
        self._interrupt = None
        sender = self._sender
        if sender is None:
            return
        if not sender.done() and (self._close is None or self._close[0] is CloseCode.NORMAL):
            await asyncio.wait({sender}, timeout=timeout)
        sender.cancel()
        outcome = (await asyncio.gather(sender, return_exceptions=True))[0]
        if isinstance(outcome, BaseException) and is_failure(outcome):
            raise outcome

    async def _send_backlog(self) -> None:
        """Write the queue, then end (see `send_on_demand`)."""
        try:
            await self._write_queue(asyncio.get_running_loop())
        except asyncio.CancelledError:
            if not self._abandoned:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        except ChannelClosed:
            self.state = PeerState.CLOSED
            self._wake_connection()
        except BaseException as exc:
            # A bug or a pycrdt panic: the frame in flight is lost, and a client missing one update
            # never converges. Nobody awaits this task while the connection lives: answered here.
            if not is_failure(exc):
                raise
            log.error(
                "connection failed", exc_info=exc, extra={"peer": self.key, "user": self.user.id}
            )
            self.request_close(CloseCode.INTERNAL_ERROR, "the server failed; reconnect")
        finally:
            self._sending = False
            self._sender = None
            if self._watchdog is not None:
                self._watchdog.cancel()
                self._watchdog = None
            if not self._queue:
                self._queue = None

    async def run_sender(self) -> None:
        """Drain the queue into the channel until a close is requested; owned by the
        connection, which then closes the channel (with `close_request`) once it has also
        stopped receiving — some ASGI servers cannot close while a receive is pending."""
        self._sender = asyncio.current_task()
        try:
            await self._drain()
        except asyncio.CancelledError:
            if not self._abandoned:
                raise
            if self._sender is not None:
                self._sender.uncancel()
        except ChannelClosed:
            self.state = PeerState.CLOSED
        finally:
            self._sending = False
            self._sender = None
            if self._watchdog is not None:
                self._watchdog.cancel()
                self._watchdog = None

    async def _drain(self) -> None:
        # One future per idle spell, one watchdog timer per send-timeout period: no task,
        # timer or event per frame.
        loop = asyncio.get_running_loop()
        while True:
            await self._write_queue(loop)
            if self._close is not None:
                return
            waiter = self._waiter = loop.create_future()
            await waiter

    async def _write_queue(self, loop: asyncio.AbstractEventLoop) -> None:
        # This loop runs for every frame that has to wait, tens of thousands of times a
        # second under load.
        queue = self._queue
        if not queue:
            return
        if self._watchdog is None:
            self._arm_watchdog(loop)
        self._sending = True
        send = self.channel.send
        take = self._coalescer.take
        while queue:
            frame, size = take(queue)  # a lagging peer's updates merged into one
            await send(frame)
            self._buffered -= size
            self._sent += 1
        del frame  # not kept while idle: a merged frame may be large
        self._sending = False

    def _arm_watchdog(self, loop: asyncio.AbstractEventLoop) -> None:
        self._watchdog = loop.call_later(self._send_timeout, self._check_progress, self._sent)

    def _check_progress(self, sent_before: int) -> None:
        """The watchdog: a send that has not completed for a whole period is stalled."""
        self._watchdog = None
        if not self._sending or self._close is not None:
            return
        if self._sent == sent_before:
            self._too_slow("you stopped reading; reconnect to resync")
        else:
            self._arm_watchdog(asyncio.get_running_loop())

    def mark_gone(self) -> None:
        """The other side closed the connection: nothing more to send or close."""
        self.state = PeerState.CLOSED
        self.request_close(CloseCode.NORMAL, "")

    @property
    def close_request(self) -> tuple[CloseCode, str] | None:
        return self._close

    async def close(self) -> None:
        """Close the channel with the requested code (normal closure if none was asked).
        A peer that stopped reading gets its close frame once its socket has room, for up to
        the send timeout."""
        code, reason = self._close or (CloseCode.NORMAL, "")
        self.close_code = code
        if self.state is PeerState.CLOSED:
            return
        self.state = PeerState.CLOSED
        try:
            await asyncio.wait_for(self.channel.close(int(code), reason), self._send_timeout)
        except ChannelClosed:
            pass
        except TimeoutError:
            # Its socket stayed full: the close frame would wait behind what the connection
            # holds for as long as the peer does not read, and so would that memory.
            log.warning(
                "connection dropped: its close frame was not taken",
                extra={"peer": self.key, "code": int(code), "unsent_bytes": self.channel.backlog()},
            )
            self.channel.abort()


def _interrupted() -> None:
    """A connection already interrupted is not interrupted again."""
