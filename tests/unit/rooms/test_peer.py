"""A peer's send queue and rate limit, with a memory channel and a fake clock."""

from __future__ import annotations

import asyncio
import logging

import pytest

from pairbook.auth import Role, User
from pairbook.protocol import AwarenessMessage, decode_message
from pairbook.rooms import (
    Channel,
    CloseCode,
    MemoryChannel,
    Peer,
    PeerState,
    TokenBucket,
    memory_channel_pair,
)
from pairbook.rooms.peer import KEEPALIVE
from pairbook.types import UserId
from support.panics import pycrdt_panic


class Queueing:
    """A channel that never takes a frame at once (a socket with a full buffer): every frame
    goes through the peer's queue and its sender."""

    def __init__(self, inner: MemoryChannel) -> None:
        self.inner = inner

    def send_now(self, frame: bytes) -> bool:
        return False

    async def send(self, frame: bytes) -> None:
        await self.inner.send(frame)

    async def receive(self) -> bytes:
        return await self.inner.receive()

    async def close(self, code: int, reason: str) -> None:
        await self.inner.close(code, reason)

    def backlog(self) -> int:
        return 0

    def abort(self) -> None:
        self.inner.abort()


class Buffering:
    """A connection with a write buffer of its own, as uvicorn's transport has: it takes a
    frame at once only while its buffer is empty, and `held` is what the peer's socket has
    not taken yet (set by the test). Its close is never taken: the socket stays full."""

    def __init__(self) -> None:
        self.held = 0
        self.written: list[bytes] = []
        self.aborted = False

    def send_now(self, frame: bytes) -> bool:
        if self.held:
            return False
        self.written.append(frame)
        self.held = len(frame)  # the socket took none of it yet
        return True

    async def send(self, frame: bytes) -> None:
        self.written.append(frame)
        self.held += len(frame)

    def backlog(self) -> int:
        return self.held

    async def receive(self) -> bytes:
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")

    async def close(self, code: int, reason: str) -> None:
        await asyncio.get_running_loop().create_future()

    def abort(self) -> None:
        self.aborted = True


def make_peer(channel: Channel, limit: int = 4) -> Peer:
    user = User(UserId("u1"), "Ana", "#e6194b")
    return Peer("k", user, Role.EDITOR, channel, queue_limit=limit, limiter=TokenBucket(10, 2))


async def test_a_frame_goes_straight_to_a_channel_that_takes_it() -> None:
    channel, client = memory_channel_pair(capacity=2)
    peer = make_peer(channel)
    peer.send(b"1")
    peer.send(b"2")  # no sender running: the channel took both at once
    assert peer.buffered_bytes == 0
    assert client.unread() == [b"1", b"2"]


async def test_frames_queue_behind_one_the_channel_could_not_take() -> None:
    channel, client = memory_channel_pair(capacity=1)
    peer = make_peer(channel)
    for frame in (b"1", b"2", b"3"):
        peer.send(frame)
    assert peer.buffered_bytes == 2  # "2" waits for the reader, and "3" behind it
    assert client.unread() == [b"1"]
    peer.send(b"4")  # the channel has room again, but "2" and "3" go first
    sender = asyncio.create_task(peer.run_sender())
    received: list[bytes] = []
    while len(received) < 3:
        received.append(await client.receive())
    assert received == [b"2", b"3", b"4"]
    peer.request_close(CloseCode.NORMAL, "")
    await sender


async def test_queued_frames_are_sent_in_order() -> None:
    channel, client = memory_channel_pair()
    peer = make_peer(channel)
    sender = asyncio.create_task(peer.run_sender())
    for frame in (b"1", b"2", b"3"):
        peer.send(frame)
    peer.request_close(CloseCode.NORMAL, "done")
    await sender
    await peer.close()
    assert client.close_frame == (1000, "done")


async def test_a_full_queue_closes_the_peer_as_a_slow_consumer() -> None:
    channel, client = memory_channel_pair()
    peer = make_peer(Queueing(channel), limit=2)
    for frame in (b"1", b"2", b"3"):
        peer.send(frame)
    assert peer.close_request == (CloseCode.SLOW_CONSUMER, pytest.approx(peer.close_request[1]))  # type: ignore[index]
    assert peer.queue_depth == 0  # dropped: it resyncs on reconnect
    await peer.run_sender()
    await peer.close()
    assert client.close_frame is not None
    assert client.close_frame[0] == 4413
    assert client.unread() == []  # the queue was dropped, not sent
    assert peer.state is PeerState.CLOSED


async def test_a_peer_sent_nothing_for_a_keepalive_period_is_sent_an_empty_awareness_update() -> (
    None
):
    channel, client = memory_channel_pair(capacity=10)
    peer = make_peer(channel)
    peer.keep_alive()  # nothing sent since it came: y-websocket's 30 s watchdog must hear us
    assert client.unread() == [KEEPALIVE]
    peer.keep_alive()  # another silent period: another one
    assert client.unread() == [KEEPALIVE]
    peer.send(b"update")
    peer.keep_alive()  # the room spoke to it in the period: nothing added
    assert client.unread() == [b"update"]
    peer.keep_alive()
    assert client.unread() == [KEEPALIVE]


async def test_no_keepalive_joins_frames_still_waiting_for_a_peer() -> None:
    channel = Buffering()
    peer = make_peer(channel)
    peer.send(b"1")  # taken by the connection, which holds it
    peer.send(b"2")  # waits in the queue
    peer.keep_alive()
    peer.keep_alive()
    assert channel.written == [b"1"]  # the waiting frame will be heard: no keepalive queued
    assert peer.queue_depth == 1


def test_the_keepalive_is_an_awareness_update_of_no_entries() -> None:
    assert decode_message(KEEPALIVE) == AwarenessMessage(payload=b"\x00", entries=())


def test_going_live_twice_is_a_bug() -> None:
    peer = make_peer(memory_channel_pair()[0])
    peer.go_live()
    with pytest.raises(RuntimeError, match="expected peer state syncing, got live"):
        peer.go_live()


def test_the_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5
    assert bucket.take()
    assert not bucket.take()


def impatient_peer(channel: Channel) -> Peer:
    """A peer whose sends and close give up after 10 ms."""
    user = User(UserId("u1"), "Ana", "#e6194b")
    return Peer(
        "k",
        user,
        Role.EDITOR,
        channel,
        queue_limit=8,
        limiter=TokenBucket(10, 2),
        send_timeout=0.01,
    )


async def test_a_peer_that_stops_reading_is_closed_as_a_slow_consumer() -> None:
    channel, client = memory_channel_pair(capacity=1)
    peer = impatient_peer(channel)
    peer.send(b"1")
    peer.send(b"2")  # the channel holds one frame: this one waits for a reader that never comes
    await peer.run_sender()
    assert peer.close_request == (
        CloseCode.SLOW_CONSUMER,
        "you stopped reading; reconnect to resync",
    )
    assert client.unread() == [b"1"]


def bounded_peer(channel: Channel, buffer_limit: int, queue_limit: int = 1000) -> Peer:
    user = User(UserId("u1"), "Ana", "#e6194b")
    return Peer(
        "k",
        user,
        Role.EDITOR,
        channel,
        queue_limit=queue_limit,
        limiter=TokenBucket(10, 2),
        buffer_limit=buffer_limit,
    )


async def test_buffered_bytes_count_what_waits_until_the_channel_takes_it() -> None:
    channel, client = memory_channel_pair()
    peer = bounded_peer(Queueing(channel), buffer_limit=100)
    peer.send(b"a" * 30)
    peer.send(b"b" * 50)
    assert peer.buffered_bytes == 80
    sender = asyncio.create_task(peer.run_sender())
    for _ in range(3):
        await asyncio.sleep(0)
    assert peer.buffered_bytes == 0  # both went out
    assert client.unread() == [b"a" * 30, b"b" * 50]
    peer.send(b"c" * 20)
    peer.request_close(CloseCode.NORMAL, "")
    assert peer.buffered_bytes == 0  # a close drops what waited
    await sender


async def test_a_frame_past_the_byte_bound_closes_the_peer_and_drops_its_queue() -> None:
    channel, client = memory_channel_pair()
    peer = bounded_peer(Queueing(channel), buffer_limit=100)
    peer.send(b"a" * 60)
    peer.send(b"b" * 40)  # exactly at the bound: taken
    assert peer.close_request is None
    peer.send(b"c")  # one byte past it
    assert peer.close_request is not None
    assert peer.close_request[0] is CloseCode.SLOW_CONSUMER
    assert peer.buffered_bytes == 0
    assert peer.queue_depth == 0
    assert peer.slow_since is not None
    peer.send(b"d")  # ignored once closing
    assert peer.queue_depth == 0
    await peer.run_sender()
    await peer.close()
    assert client.close_frame is not None
    assert client.close_frame[0] == 4413
    assert client.unread() == []


async def test_one_frame_larger_than_the_bound_goes_to_a_peer_nothing_waits_for() -> None:
    channel, _client = memory_channel_pair()
    peer = bounded_peer(Queueing(channel), buffer_limit=10)
    peer.send(b"x" * 1000)  # a join's step 2, say
    assert peer.close_request is None
    assert peer.buffered_bytes == 1000
    peer.send(b"y")  # anything behind it counts against the bound
    assert peer.close_request is not None
    assert peer.close_request[0] is CloseCode.SLOW_CONSUMER


async def test_a_joins_step_2_larger_than_the_bound_is_taken_behind_frames_within_it() -> None:
    channel, _client = memory_channel_pair()
    peer = bounded_peer(Queueing(channel), buffer_limit=100)
    peer.send(b"r" * 60)  # a relay that reached the joiner before its answer
    peer.send(b"x" * 1000, whole=True)  # the answer: the notebook, past the bound by itself
    assert peer.close_request is None
    assert peer.buffered_bytes == 1060
    peer.send(b"y")  # nothing has gone out yet: past the raised bound
    assert peer.close_request is not None
    assert peer.close_request[0] is CloseCode.SLOW_CONSUMER


async def test_a_whole_frame_behind_more_than_the_bound_still_closes_the_peer() -> None:
    channel, _client = memory_channel_pair()
    peer = bounded_peer(Queueing(channel), buffer_limit=100)
    peer.send(b"a" * 1000)  # taken: nothing waited
    peer.send(b"x" * 10, whole=True)  # 1,000 bytes wait before it: past the bound
    assert peer.close_request is not None
    assert peer.close_request[0] is CloseCode.SLOW_CONSUMER


async def test_a_send_blocked_on_a_stuck_reader_is_abandoned_when_the_bound_is_reached() -> None:
    channel, client = memory_channel_pair(capacity=1)
    peer = bounded_peer(channel, buffer_limit=100)
    sender = asyncio.create_task(peer.run_sender())
    peer.send(b"1" * 10)  # the channel holds this one
    peer.send(b"2" * 10)  # the sender blocks on this one: nobody reads
    for _ in range(3):
        await asyncio.sleep(0)
    assert not sender.done()
    assert peer.buffered_bytes == 10  # the frame in flight
    for _ in range(9):
        peer.send(b"3" * 10)
    assert peer.close_request is None
    peer.send(b"4")  # 101 bytes waiting: too many
    await sender  # the blocked send was given up: the sender ends, not cancelled
    assert not sender.cancelled()
    assert peer.close_request is not None
    assert peer.close_request[0] is CloseCode.SLOW_CONSUMER
    assert peer.buffered_bytes == 0
    assert client.unread() == [b"1" * 10]


async def test_a_frame_limit_still_applies_to_many_small_frames() -> None:
    channel, _ = memory_channel_pair()
    peer = bounded_peer(Queueing(channel), buffer_limit=1 << 20, queue_limit=3)
    for frame in (b"1", b"2", b"3"):
        peer.send(frame)
    assert peer.close_request is None
    peer.send(b"4")
    assert peer.close_request is not None
    assert peer.close_request[0] is CloseCode.SLOW_CONSUMER


async def test_bytes_the_connection_still_holds_count_against_the_bound() -> None:
    channel = Buffering()
    peer = bounded_peer(channel, buffer_limit=100)
    peer.send(b"a" * 60)  # written at once; the socket takes none of it
    peer.send(b"b" * 30)  # queued behind the 60 bytes the connection holds
    assert peer.close_request is None
    assert peer.buffered_bytes == 30
    peer.send(b"c" * 11)  # 60 + 30 + 11 bytes waiting: one past the bound
    assert peer.close_request is not None
    assert peer.close_request[0] is CloseCode.SLOW_CONSUMER
    assert channel.written == [b"a" * 60]


async def test_a_frame_larger_than_the_bound_raises_it_while_the_connection_holds_it() -> None:
    channel = Buffering()
    peer = bounded_peer(channel, buffer_limit=10)
    peer.send(b"x" * 1000)  # a join's step 2, written at once
    channel.held = 900  # the socket took 100 bytes of it
    peer.send(b"y" * 100)  # as many bytes wait as the step 2 alone did: taken
    assert peer.close_request is None
    peer.send(b"z")
    assert peer.close_request is not None
    assert peer.close_request[0] is CloseCode.SLOW_CONSUMER


async def test_a_close_frame_the_socket_does_not_take_drops_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = Buffering()
    peer = impatient_peer(channel)
    peer.request_close(CloseCode.SLOW_CONSUMER, "you fell too far behind")
    await peer.close()
    assert channel.aborted
    assert peer.state is PeerState.CLOSED
    assert "connection dropped: its close frame was not taken" in caplog.text


async def test_a_peer_sending_on_demand_has_a_task_only_while_frames_wait() -> None:
    channel, client = memory_channel_pair(capacity=1)
    peer = make_peer(channel)
    interrupted: list[bool] = []
    peer.send_on_demand(lambda: interrupted.append(True))
    peer.send(b"1")  # the channel takes it at once: no task
    assert peer._sender is None
    peer.send(b"2")  # it has to wait: a task writes it
    sender = peer._sender
    assert sender is not None
    assert [await client.receive(), await client.receive()] == [b"1", b"2"]
    await sender  # it ends once nothing waits
    assert peer._sender is None
    assert peer.queue_depth == 0
    assert interrupted == []
    peer.request_close(CloseCode.NORMAL, "")
    peer.request_close(CloseCode.GOING_AWAY, "")
    assert interrupted == [True]  # once
    await peer.finish_sending(1.0)


async def test_a_backlog_send_stuck_on_a_reader_is_abandoned_and_interrupts_the_connection() -> (
    None
):
    channel, client = memory_channel_pair(capacity=1)
    peer = bounded_peer(channel, buffer_limit=100)
    interrupted: list[bool] = []
    peer.send_on_demand(lambda: interrupted.append(True))
    peer.send(b"1" * 10)  # the channel holds this one
    peer.send(b"2" * 10)  # the backlog task blocks on this one: nobody reads
    sender = peer._sender
    assert sender is not None
    for _ in range(3):
        await asyncio.sleep(0)
    for _ in range(9):
        peer.send(b"3" * 10)
    assert interrupted == []
    peer.send(b"4")  # 101 bytes waiting: too many
    assert interrupted == [True]
    await sender  # the blocked send was given up: the task ends, not cancelled
    assert not sender.cancelled()
    await peer.finish_sending(1.0)
    await peer.close()
    assert client.close_frame is not None
    assert client.close_frame[0] == 4413


async def test_a_closed_channel_interrupts_a_connection_sending_on_demand() -> None:
    channel, client = memory_channel_pair(capacity=1)
    peer = make_peer(Queueing(channel))
    interrupted: list[bool] = []
    peer.send_on_demand(lambda: interrupted.append(True))
    await client.close(1001, "")
    peer.send(b"1")
    sender = peer._sender
    assert sender is not None
    await sender
    assert interrupted == [True]
    assert peer.state is PeerState.CLOSED


async def test_frames_queued_before_sending_on_demand_go_out_once_it_starts() -> None:
    channel, client = memory_channel_pair()
    peer = make_peer(Queueing(channel))  # a server without immediate writes (Granian)
    peer.send(b"step 1")  # the join's frames, before the connection's loop starts
    peer.send(b"presence")
    peer.send_on_demand(lambda: None)
    assert [await client.receive(), await client.receive()] == [b"step 1", b"presence"]


class Failing(Queueing):
    """A channel whose send fails with an error nobody expected (a bug, not a closed
    connection)."""

    async def send(self, frame: bytes) -> None:
        raise ValueError("a bug in the channel")


class Panicking(Queueing):
    """A channel whose send panics in pycrdt (a BaseException: it went past the backlog
    task's `except Exception`, the task ended with it and the peer went on without the
    frame, never answered)."""

    async def send(self, frame: bytes) -> None:
        pycrdt_panic()


@pytest.mark.parametrize(
    ("failing", "kind"), [(Failing, "ValueError"), (Panicking, "PanicException")]
)
async def test_a_backlog_send_that_fails_is_logged_and_closes_the_peer_with_1011(
    caplog: pytest.LogCaptureFixture, failing: type[Queueing], kind: str
) -> None:
    channel, _client = memory_channel_pair()
    peer = make_peer(failing(channel))
    interrupted: list[bool] = []
    peer.send_on_demand(lambda: interrupted.append(True))
    with caplog.at_level(logging.ERROR, logger="pairbook"):
        peer.send(b"1")  # it has to wait: the backlog task's send fails
        sender = peer._sender
        assert sender is not None
        await asyncio.gather(sender, return_exceptions=True)
    # Answered at once: the connection is interrupted and closes with 1011, instead of
    # going on without the lost frame (the client would miss an update for good).
    assert interrupted == [True]
    assert peer.close_request is not None
    assert peer.close_request[0] == CloseCode.INTERNAL_ERROR
    peer.send(b"2")
    assert peer._sender is None  # nothing more goes out after the lost frame
    (record,) = [r for r in caplog.records if r.getMessage() == "connection failed"]
    assert record.exc_info is not None
    assert type(record.exc_info[1]).__name__ == kind
    await peer.finish_sending(1.0)


async def test_no_backlog_task_starts_once_the_connection_finished_sending() -> None:
    channel, client = memory_channel_pair()
    peer = make_peer(Queueing(channel))
    peer.send_on_demand(lambda: None)
    await peer.finish_sending(1.0)  # the connection ends; the peer is still in the room
    peer.send(b"relayed meanwhile")
    assert peer._sender is None  # else a task nobody awaits, writing to a closing channel
    await peer.close()
    assert client.unread() == []


class Stuck(Queueing):
    """A channel whose send never completes (a client that stopped reading): `abandoned`
    once the send is cancelled."""

    def __init__(self, inner: MemoryChannel) -> None:
        super().__init__(inner)
        self.sending = asyncio.Event()
        self.abandoned = False

    async def send(self, frame: bytes) -> None:
        self.sending.set()
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            self.abandoned = True
            raise


@pytest.mark.parametrize(
    "code", [CloseCode.MESSAGE_TOO_BIG, CloseCode.POLICY_VIOLATION, CloseCode.FORBIDDEN]
)
async def test_a_close_the_server_asked_for_does_not_wait_for_a_stuck_send(
    code: CloseCode,
) -> None:
    # The endpoint's reproduction: a peer that stopped reading sends a 1.2 MB update; it
    # was refused at once but stayed in the room (others saw it present) for the whole
    # drain, a send nobody would take. A regression hangs here (pytest's timeout).
    channel, client = memory_channel_pair()
    stuck = Stuck(channel)
    peer = make_peer(stuck)
    peer.send_on_demand(lambda: None)
    peer.send(b"typing")  # the backlog task blocks on it
    await stuck.sending.wait()
    peer.request_close(code, "refused")
    await peer.finish_sending(3600.0)
    assert stuck.abandoned
    assert peer._sender is None
    assert client.unread() == []
