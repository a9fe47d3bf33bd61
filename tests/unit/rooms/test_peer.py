"""A peer's send queue and rate limit, with a memory channel and a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from pairbook.auth import Role, User
from pairbook.rooms import (
    CloseCode,
    MemoryChannel,
    Peer,
    PeerState,
    TokenBucket,
    memory_channel_pair,
)
from pairbook.types import UserId


def make_peer(channel: MemoryChannel, limit: int = 4) -> Peer:
    user = User(UserId("u1"), "Ana", "#e6194b")
    return Peer("k", user, Role.EDITOR, channel, queue_limit=limit, limiter=TokenBucket(10, 2))


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
    peer = make_peer(channel, limit=2)
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


async def test_a_peer_that_stops_reading_is_closed_as_a_slow_consumer() -> None:
    channel, client = memory_channel_pair(capacity=1)
    user = User(UserId("u1"), "Ana", "#e6194b")
    peer = Peer(
        "k",
        user,
        Role.EDITOR,
        channel,
        queue_limit=8,
        limiter=TokenBucket(10, 2),
        send_timeout=0.01,
    )
    peer.send(b"1")
    peer.send(b"2")  # the channel holds one frame: this one waits for a reader that never comes
    await peer.run_sender()
    assert peer.close_request == (
        CloseCode.SLOW_CONSUMER,
        "you stopped reading; reconnect to resync",
    )
    assert client.unread() == [b"1"]
