"""Server edits captured as Yjs clients send theirs, and the commit of one."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text

from pairbook.protocol.update import decode_update
from pairbook.rooms.commits import capture_edit, server_commit
from pairbook.rooms.protected import ProtectedRanges
from pairbook.types import SERVER_MAPS, UserId


def test_an_edit_that_changes_nothing_makes_no_update() -> None:
    doc: Doc[Any] = Doc()
    assert capture_edit(doc, lambda d: None) == (None, None)


def test_an_edit_that_fails_half_way_gives_what_it_wrote_and_its_error() -> None:
    doc: Doc[Any] = Doc(client_id=5)

    def edit(d: Doc[Any]) -> None:
        d.get("scratch", type=Text).insert(0, "kept")
        raise RuntimeError("half-way")

    update, error = capture_edit(doc, edit)
    assert isinstance(error, RuntimeError)
    assert update is not None
    replica: Doc[Any] = Doc()
    replica.apply_update(update)
    assert str(replica.get("scratch", type=Text)) == "kept"


def test_an_edit_carries_only_its_own_deletions() -> None:
    doc: Doc[Any] = Doc(client_id=5)
    text = doc.get("scratch", type=Text)
    text.insert(0, "abcdef")
    del text[0:2]
    update, _ = capture_edit(doc, lambda d: d.get("scratch", type=Text).insert(0, "x"))
    assert update is not None
    assert decode_update(update).delete_set == {}


def test_a_protected_edit_is_remembered_and_logged_under_server_maps() -> None:
    doc: Doc[Any] = Doc(client_id=5)
    ranges = ProtectedRanges()
    update, _ = capture_edit(doc, lambda d: d.get("kernel", type=Map).update({"status": "idle"}))
    assert update is not None
    made = server_commit(doc, update, UserId("pairbook:kernel"), 0, ranges, protected=True)
    assert made.commit.author == SERVER_MAPS
    assert made.commit.clients == (5,)
    assert made.end == 1
    assert ranges.contains((5, 0))
    plain = server_commit(doc, update, UserId("ana"), 0, ProtectedRanges(), protected=False)
    assert plain.commit.author == "ana"
