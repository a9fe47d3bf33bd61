"""A peer's send queue and rate limit, with a memory channel and a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from pairbook.auth import Role, User
from pairbook.rooms import ChannelClosed, CloseCode, Peer, PeerState, TokenBucket
from pairbook.types import UserId


class MemoryChannel:
    """The memory implementation of the Channel port."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed: tuple[int, str] | None = None
        self.inbox: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def send(self, frame: bytes) -> None:
        if self.closed is not None:
            raise ChannelClosed()
        self.sent.append(frame)

    async def receive(self) -> bytes:
        frame = await self.inbox.get()
        if frame is None:
            raise ChannelClosed()
        return frame

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def make_peer(channel: MemoryChannel, limit: int = 4) -> Peer:
    user = User(UserId("u1"), "Ana", "#e6194b")
    return Peer("k", user, Role.EDITOR, channel, queue_limit=limit, limiter=TokenBucket(10, 2))


async def test_queued_frames_are_sent_in_order() -> None:
    channel = MemoryChannel()
    peer = make_peer(channel)
    sender = asyncio.create_task(peer.run_sender())
    for frame in (b"1", b"2", b"3"):
        peer.send(frame)
    peer.request_close(CloseCode.NORMAL, "done")
    await sender
    await peer.close()
    assert channel.closed == (1000, "done")


async def test_a_full_queue_closes_the_peer_as_a_slow_consumer() -> None:
    channel = MemoryChannel()
    peer = make_peer(channel, limit=2)
    for frame in (b"1", b"2", b"3"):
        peer.send(frame)
    assert peer.close_request == (CloseCode.SLOW_CONSUMER, pytest.approx(peer.close_request[1]))  # type: ignore[index]
    assert peer.queue_depth == 0  # dropped: it resyncs on reconnect
    await peer.run_sender()
    await peer.close()
    assert channel.closed is not None
    assert channel.closed[0] == 4413
    assert peer.state is PeerState.CLOSED


def test_going_live_twice_is_a_bug() -> None:
    peer = make_peer(MemoryChannel())
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
