"""The update guard decides what may enter a room, from bytes real pycrdt peers produce."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from pairbook.errors import AuthError, HistoryError
from pairbook.protocol.update import decode_state_vector, decode_update
from pairbook.rooms.guard import Admission, admit_update
from pairbook.rooms.protected import ProtectedRanges


def room_doc() -> Doc[Any]:
    doc: Doc[Any] = Doc(client_id=1)
    cells: Array[Map[Any]] = Array()
    doc["cells"] = cells
    cells.append(Map({"id": "a", "source": Text("hello")}))
    marker: Doc[Any] = Doc(client_id=2)  # the history marker has its own server client id
    marker["pairbook"] = Map({"history": "h"})
    doc.apply_update(marker.get_update())
    return doc


def peer_of(room: Doc[Any], client_id: int) -> Doc[Any]:
    peer: Doc[Any] = Doc(client_id=client_id)
    peer.apply_update(room.get_update())
    return peer


def edit(peer: Doc[Any], change: Any) -> bytes:
    before = peer.get_state()
    change(peer)
    return peer.get_update(before)


def admit(
    room: Doc[Any], update: bytes, user: str = "ana", claims: dict[int, str] | None = None
) -> Admission:
    return admit_update(
        decode_update(update),
        decode_state_vector(room.get_state()),
        claims if claims is not None else {1: "pairbook:server", 2: "pairbook:server"},
        user,
        ProtectedRanges.from_json(None, extra=[2]),
    )


def test_typing_into_a_cell_is_admitted_and_claims_the_new_client_id() -> None:
    room = room_doc()
    peer = peer_of(room, 42)
    update = edit(peer, lambda d: d.get("cells", type=Array)[0]["source"].insert(5, "!"))
    admission = admit(room, update)
    assert admission.new_client_ids == {42}
    assert admission.claims == {42}


def test_an_update_the_room_already_has_changes_nothing() -> None:
    room = room_doc()
    admission = admit(room, room.get_update())
    assert not admission.changes_content


def test_writing_under_another_persons_client_id_is_refused() -> None:
    room = room_doc()
    peer = peer_of(room, 42)
    update = edit(peer, lambda d: d.get("cells", type=Array)[0]["source"].insert(0, "x"))
    with pytest.raises(AuthError, match="another person"):
        admit(room, update, user="bo", claims={1: "pairbook:server", 42: "ana"})


def test_overwriting_the_history_marker_is_refused() -> None:
    room = room_doc()
    peer = peer_of(room, 42)
    update = edit(peer, lambda d: d.get("pairbook", type=Map).__setitem__("history", "mine"))
    with pytest.raises(AuthError, match="server only"):
        admit(room, update)


def test_writing_under_the_servers_client_id_is_refused() -> None:
    room = room_doc()
    forged = peer_of(room, 1)
    update = edit(forged, lambda d: d.get("cells", type=Array)[0]["source"].insert(0, "x"))
    with pytest.raises(AuthError, match="the server"):
        admit(room, update)


def test_writing_a_pairbook_map_is_refused() -> None:
    room = room_doc()
    peer = peer_of(room, 42)
    update = edit(peer, lambda d: d.__setitem__("kernel", Map({"status": "idle"})))
    with pytest.raises(AuthError, match="server only"):
        admit(room, update)


def test_content_from_another_history_is_told_to_reload() -> None:
    room = room_doc()
    other: Doc[Any] = Doc(client_id=7)  # same shape, different history
    cells: Array[Map[Any]] = Array()
    other["cells"] = cells
    cells.append(Map({"id": "a", "source": Text("hello")}))
    stranger = peer_of(other, 43)
    update = edit(stranger, lambda d: d.get("cells", type=Array)[0]["source"].insert(0, "x"))
    with pytest.raises(HistoryError, match="does not have"):
        admit(room, update)


def test_another_historys_marker_is_told_to_reload() -> None:
    room = room_doc()
    other: Doc[Any] = Doc(client_id=9)
    other["pairbook"] = Map({"history": "old"})
    with pytest.raises(HistoryError, match="marker"):
        admit(room, other.get_update())


def test_protected_ranges_merge_and_answer_membership() -> None:
    ranges = ProtectedRanges()
    ranges.add(3, 0, 5)
    ranges.add(3, 5, 8)
    ranges.add(3, 20, 22)
    assert ranges.contains((3, 7))
    assert not ranges.contains((3, 8))
    assert ranges.contains((3, 21))
    assert not ranges.contains((4, 0))
    # Only the protected parts of a delete span count: a span also covering someone's
    # deleted cell next to the server's own deletions must not be blamed for them.
    assert ranges.overlapping({3: ((7, 4), (9, 2)), 4: ((0, 1),)}) == {3: ((7, 1),)}
    assert ranges.overlapping({3: ((5, 20),)}) == {3: ((5, 3), (20, 2))}
    assert ranges.overlapping({3: ((8, 12),)}) == {}
    again = ProtectedRanges.from_json(ranges.to_json(), extra=[9])
    assert again.contains((3, 4))
    assert again.contains((9, 10**9))
