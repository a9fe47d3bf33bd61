"""Presence: awareness states owned per connection, identity enforced."""

from __future__ import annotations

from pairbook.auth import Role, User
from pairbook.protocol.awareness import AwarenessEntry, decode_awareness_update
from pairbook.rooms import Peer, TokenBucket
from pairbook.rooms.presence import Presence
from pairbook.types import UserId


class NullChannel:
    async def send(self, frame: bytes) -> None: ...
    async def receive(self) -> bytes:
        raise AssertionError("not used")

    async def close(self, code: int, reason: str) -> None: ...


def peer(name: str, role: Role = Role.EDITOR) -> Peer:
    user = User(UserId(name.lower()), name, "#123456")
    return Peer(name, user, role, NullChannel(), queue_limit=8, limiter=TokenBucket(1, 1))


def test_a_peer_shows_the_name_and_colour_its_token_grants() -> None:
    presence = Presence()
    ana = peer("Ana")
    (entry,) = presence.accept(ana, (AwarenessEntry(5, 1, {"user": {"name": "Boss"}}),))
    assert entry.state == {
        "user": {"name": "Ana", "color": "#123456", "id": "ana", "role": "editor"}
    }


def test_a_peer_cannot_speak_for_another_connections_client_id() -> None:
    presence = Presence()
    ana, bo = peer("Ana"), peer("Bo")
    presence.accept(ana, (AwarenessEntry(5, 1, {"cursor": 1}),))
    assert presence.accept(bo, (AwarenessEntry(5, 2, {"cursor": 9}),)) == []


def test_leaving_removes_a_peers_states_with_a_newer_clock() -> None:
    presence = Presence()
    ana = peer("Ana")
    presence.accept(ana, (AwarenessEntry(5, 3, {"cursor": 1}),))
    assert presence.remove(ana) == [AwarenessEntry(5, 4, None)]
    assert presence.snapshot() is None


def test_the_snapshot_holds_everyone_present() -> None:
    presence = Presence()
    presence.accept(peer("Ana"), (AwarenessEntry(5, 1, {}),))
    presence.accept(peer("Bo"), (AwarenessEntry(6, 1, {}),))
    snapshot = presence.snapshot()
    assert snapshot is not None
    assert {e.client_id for e in decode_awareness_update(snapshot)} == {5, 6}
