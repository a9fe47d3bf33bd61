"""Presence: awareness states owned per connection, identity enforced."""

from __future__ import annotations

import pytest

from pairbook.auth import Role, User
from pairbook.errors import LimitError
from pairbook.protocol.awareness import AwarenessEntry, decode_awareness_update
from pairbook.rooms import Peer, RoomLimits, TokenBucket, memory_channel_pair
from pairbook.rooms.presence import Presence
from pairbook.rooms.remotepresence import RemotePresence
from pairbook.types import UserId


def peer(name: str, role: Role = Role.EDITOR) -> Peer:
    user = User(UserId(name.lower()), name, "#123456")
    return Peer(
        name, user, role, memory_channel_pair()[0], queue_limit=8, limiter=TokenBucket(1, 1)
    )


def test_a_peer_shows_the_name_and_color_its_token_grants() -> None:
    presence = Presence()
    ana = peer("Ana")
    (entry,) = presence.accept(ana, (AwarenessEntry(5, 1, {"user": {"name": "Boss"}}),))
    assert entry.state == {
        "user": {
            "name": "Ana",
            "color": "#123456",
            "colorLight": "#12345633",
            "id": "ana",
            "role": "editor",
        }
    }


def test_only_the_granted_user_keys_pass() -> None:
    presence = Presence()
    claimed = {"name": "Ana", "colorLight": "red;background:url(//evil)", "avatar_url": "x"}
    (entry,) = presence.accept(peer("Ana"), (AwarenessEntry(5, 1, {"user": claimed}),))
    assert entry.state is not None
    user = entry.state["user"]
    assert isinstance(user, dict)
    assert set(user) == {"id", "name", "color", "colorLight", "role"}
    assert user["colorLight"] == "#12345633"


def test_a_connection_speaks_for_a_bounded_number_of_client_ids() -> None:
    presence = Presence(RoomLimits(awareness_ids=2))
    ana = peer("Ana")
    presence.accept(ana, (AwarenessEntry(1, 1, {}), AwarenessEntry(2, 1, {})))
    presence.accept(ana, (AwarenessEntry(2, 2, {"cursor": 3}),))  # its own ids: fine
    with pytest.raises(LimitError, match="at most 2 awareness client ids"):
        presence.accept(ana, (AwarenessEntry(3, 1, {}),))
    assert len(presence) == 2


def test_a_state_larger_than_the_limit_is_refused() -> None:
    presence = Presence(RoomLimits(awareness_state_bytes=100))
    with pytest.raises(LimitError, match="awareness state"):
        presence.accept(peer("Ana"), (AwarenessEntry(1, 1, {"x": "y" * 200}),))
    assert presence.full_update() is None


def test_a_full_room_table_shows_no_new_client_ids() -> None:
    presence = Presence(RoomLimits(presence_slots=2))
    presence.accept(peer("Ana"), (AwarenessEntry(1, 1, {}),))
    presence.accept(peer("Bo"), (AwarenessEntry(2, 1, {}),))
    assert presence.accept(peer("Cy"), (AwarenessEntry(3, 1, {}),)) == []
    assert len(presence) == 2


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
    assert presence.full_update() is None


def test_the_full_update_holds_everyone_present() -> None:
    presence = Presence()
    presence.accept(peer("Ana"), (AwarenessEntry(5, 1, {}),))
    presence.accept(peer("Bo"), (AwarenessEntry(6, 1, {}),))
    update = presence.full_update()
    assert update is not None
    assert {e.client_id for e in decode_awareness_update(update)} == {5, 6}


def test_removals_of_client_ids_the_room_does_not_show_claim_nothing() -> None:
    # A lagging stock client sends one update removing every remote state that timed out
    # on its side, often of peers the room already forgot: no reason to close it.
    presence = Presence(RoomLimits(awareness_ids=2))
    ana = peer("Ana")
    gone = tuple(AwarenessEntry(100 + i, 7, None) for i in range(20))
    assert presence.accept(ana, gone) == []
    assert ana.awareness_ids == set()
    (shown,) = presence.accept(ana, (AwarenessEntry(1, 1, {}),))
    assert shown.client_id == 1
    assert presence.accept(ana, (AwarenessEntry(1, 2, None),)) == [AwarenessEntry(1, 2, None)]


def test_a_client_id_another_process_shows_is_not_a_peers_to_take() -> None:
    presence, remote = Presence(), RemotePresence()
    remote.accept((AwarenessEntry(7, 1, {"user": {"id": "bo"}}),), now=0.0)
    assert presence.accept(peer("Mallory"), (AwarenessEntry(7, 99, {}),), remote) == []
    assert not presence.shows(7)
    assert remote.owner(7) == "bo"
    # Bo's own browser, reconnected to this process, keeps its client id.
    (entry,) = presence.accept(peer("Bo"), (AwarenessEntry(7, 2, {}),), remote)
    assert entry.client_id == 7
    assert presence.shows(7)
    assert remote.owner(7) is None  # shown from here now: no stale removal expires it


def test_a_stock_client_sending_back_another_process_state_takes_no_slot() -> None:
    # y-websocket relays every awareness change it receives; the same person on two
    # processes (two tabs) must not take over their other tab's client id by that echo.
    presence, remote = Presence(), RemotePresence()
    remote.accept((AwarenessEntry(7, 3, {"user": {"id": "bo"}}),), now=0.0)
    bo = peer("Bo")
    assert presence.accept(bo, (AwarenessEntry(7, 3, {"cursor": 1}),), remote) == []
    assert presence.accept(bo, (AwarenessEntry(7, 2, {"cursor": 1}),), remote) == []
    assert bo.awareness_ids == set()
    (moved,) = presence.accept(bo, (AwarenessEntry(7, 4, {"cursor": 2}),), remote)
    assert moved.client_id == 7


def test_another_persons_echo_of_a_state_removed_since_takes_no_slot() -> None:
    # A stock client's echo of Bo's state, in flight when Bo left: not Ana's to show, and
    # many such echoes do not close Ana's connection (1009) for speaking for too many ids.
    presence = Presence(RoomLimits(awareness_ids=2))
    ana, bo = peer("Ana"), peer("Bo")
    presence.accept(bo, (AwarenessEntry(7, 3, {"cursor": 1}),))
    (removal,) = presence.remove(bo)
    assert removal.clock == 4
    for _ in range(3):
        assert presence.accept(ana, (AwarenessEntry(7, 3, {"cursor": 1}),)) == []
    assert ana.awareness_ids == set()
    assert not presence.shows(7)
    # Bo's browser reconnecting re-announces its state at the clock it had: shown at once.
    bo_again = peer("Bo")
    (shown,) = presence.accept(bo_again, (AwarenessEntry(7, 3, {"cursor": 1}),))
    assert shown.client_id == 7


def test_another_persons_echo_of_a_remote_state_removed_or_expired_takes_no_slot() -> None:
    presence, remote = Presence(), RemotePresence(outdated_after=30.0)
    remote.accept((AwarenessEntry(7, 3, {"user": {"id": "bo"}}),), now=0.0)
    remote.accept((AwarenessEntry(7, 4, None),), now=1.0)  # Bo left, on the other process
    remote.accept((AwarenessEntry(8, 5, {"user": {"id": "cy"}}),), now=0.0)
    assert [e.client_id for e in remote.expire(now=31.0)] == [8]  # Cy's state timed out
    ana = peer("Ana")
    echoes = (AwarenessEntry(7, 3, {"cursor": 1}), AwarenessEntry(8, 5, {"cursor": 2}))
    assert presence.accept(ana, echoes, remote) == []
    assert ana.awareness_ids == set()
    # Ana's own new client id is hers as before.
    (own,) = presence.accept(ana, (AwarenessEntry(9, 1, {}),), remote)
    assert own.client_id == 9
