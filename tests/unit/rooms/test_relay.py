"""`rooms.relay.relay`: one frame to many peers, each as `Peer.send` would take it."""

from __future__ import annotations

from pairbook.auth import Role, User
from pairbook.rooms import CloseCode, Peer, TokenBucket, memory_channel_pair
from pairbook.rooms.relay import relay
from pairbook.types import UserId


class Held:
    """A connection whose socket has not taken `held` bytes yet (uvicorn's transport
    buffer): it takes a frame at once only while that is 0."""

    def __init__(self, held: int = 0) -> None:
        self.held = held
        self.written: list[bytes] = []

    def send_now(self, frame: bytes) -> bool:
        if self.held:
            return False
        self.written.append(frame)
        return True

    async def send(self, frame: bytes) -> None:
        self.written.append(frame)

    def backlog(self) -> int:
        return self.held

    async def receive(self) -> bytes:
        raise AssertionError("not read in these tests")

    async def close(self, code: int, reason: str) -> None:
        pass

    def abort(self) -> None:
        pass


def make_peer(channel: Held, *, live: bool = True, buffer_limit: int = 1024) -> Peer:
    user = User(UserId("u1"), "Ana", "#e6194b")
    peer = Peer(
        "k", user, Role.EDITOR, channel, queue_limit=4, limiter=TokenBucket(10, 2),
        buffer_limit=buffer_limit,
    )  # fmt: skip
    if live:
        peer.go_live()
    return peer


def test_every_live_peer_but_the_sender_is_written_the_frame_at_once() -> None:
    channels = [Held() for _ in range(4)]
    sender, *others = peers = [make_peer(channel) for channel in channels]
    assert relay(peers, b"u", sender, True) == 3
    assert [channel.written for channel in channels] == [[], [b"u"], [b"u"], [b"u"]]
    assert all(peer.buffered_bytes == 0 for peer in others)


def test_a_document_update_skips_syncing_peers_and_awareness_reaches_them() -> None:
    live, syncing = Held(), Held()
    peers = [make_peer(live), make_peer(syncing, live=False)]
    assert relay(peers, b"update", None, True) == 1
    assert relay(peers, b"awareness", None, False) == 2
    assert live.written == [b"update", b"awareness"]
    assert syncing.written == [b"awareness"]


def test_a_closing_peer_is_counted_and_sent_nothing() -> None:
    channel = Held()
    peer = make_peer(channel)
    peer.request_close(CloseCode.NORMAL, "")
    assert relay([peer], b"u", None, True) == 1
    assert channel.written == []


def test_a_peer_whose_socket_holds_bytes_gets_the_frame_queued_not_written_past_them() -> None:
    waiting, free = Held(held=10), Held()
    slow, fast = make_peer(waiting), make_peer(free)
    relay([slow, fast], b"u", None, True)
    assert waiting.written == []
    assert slow.buffered_bytes == 1
    assert slow.queue_depth == 1
    assert free.written == [b"u"]


def test_a_peer_the_frame_would_take_past_its_bound_is_closed_and_the_others_get_it() -> None:
    stuck, free = Held(held=1024), Held()
    slow, fast = make_peer(stuck), make_peer(free)
    relay([slow, fast], b"u", None, True)
    close = slow.close_request
    assert close is not None
    assert close[0] is CloseCode.SLOW_CONSUMER
    assert free.written == [b"u"]


async def test_a_relay_on_a_memory_channel_reaches_the_client() -> None:
    channel, client = memory_channel_pair(capacity=2)
    user = User(UserId("u2"), "Bo", "#3cb44b")
    peer = Peer("m", user, Role.VIEWER, channel, queue_limit=4, limiter=TokenBucket(10, 2))
    peer.go_live()
    relay([peer], b"1", None, True)
    relay([peer], b"2", None, True)
    assert client.unread() == [b"1", b"2"]
