"""KnownDeletions: the document's delete set, read once and kept up to date."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Text

from pairbook.protocol.update import decode_update
from pairbook.rooms import deleted
from pairbook.rooms.deleted import DeleteSet, KnownDeletions


class Document:
    """A delete set as the document holds it, and how often it was read."""

    def __init__(self, spans: DeleteSet | None = None) -> None:
        self.spans: DeleteSet = spans or {}
        self.reads = 0

    def read(self) -> DeleteSet:
        self.reads += 1
        return self.spans


def test_spans_are_covered_only_by_deletions_the_document_holds() -> None:
    doc = Document({5: ((0, 3), (10, 2))})
    known = KnownDeletions(doc.read)
    assert known.covers({5: ((1, 2),)})
    assert known.covers({5: ((10, 2),)})
    assert not known.covers({5: ((2, 3),)})
    assert not known.covers({6: ((0, 1),)})
    assert known.covers({5: ((4, 0),)})  # an empty span is no deletion
    assert doc.reads == 1


def test_noted_deletions_merge_with_their_neighbours() -> None:
    doc = Document()
    known = KnownDeletions(doc.read)
    assert not known.covers({1: ((0, 1),)})  # reads the (empty) document
    known.noted({1: ((4, 2), (0, 2))})
    known.noted({1: ((2, 2),)})  # fills the gap: [0, 6) in one
    known.noted({1: ((8, 1), (10, 1))})
    assert known.covers({1: ((0, 6),)})
    assert not known.covers({1: ((5, 4),)})
    known.noted({1: ((5, 6),)})  # overlaps [0, 6), [8, 9) and [10, 11)
    assert known.covers({1: ((0, 11),)})
    assert not known.covers({1: ((0, 12),)})
    assert doc.reads == 1


def test_an_undecoded_change_is_read_when_a_question_needs_it() -> None:
    room: Doc[Any] = Doc(client_id=1)
    room["source"] = source = Text("hello")
    doc = Document()
    known = KnownDeletions(doc.read)
    assert not known.covers({1: ((0, 1),)})
    before = room.get_state()
    del source[0:2]
    update = room.get_update(before)
    known.noted_update(update)
    assert known.covers(decode_update(update).delete_set)
    assert doc.reads == 1


def test_a_deletion_no_change_carried_is_found_by_an_exact_question_only() -> None:
    doc = Document()
    known = KnownDeletions(doc.read)
    assert not known.covers({1: ((0, 1),)})
    known.noted({2: ((0, 1),)})
    doc.spans = {1: ((0, 1),), 2: ((0, 1),)}  # deleted as it arrived: no change says so
    assert not known.covers({1: ((0, 1),)})
    assert doc.reads == 1
    assert known.covers({1: ((0, 1),)}, exact=True)
    assert doc.reads == 2
    assert not known.covers({1: ((5, 1),)}, exact=True)  # nothing changed: not read again
    assert doc.reads == 2


def test_changes_nobody_asks_about_are_not_kept_forever() -> None:
    doc = Document()
    known = KnownDeletions(doc.read)
    assert not known.covers({1: ((0, 1),)})
    for _ in range(deleted.UNREAD_KEPT + 1):
        known.noted_update(b"\x00\x00")
    assert len(known._unread) <= deleted.UNREAD_KEPT
    doc.spans = {1: ((0, 1),)}
    assert known.covers({1: ((0, 1),)})  # what was dropped is read from the document
    assert doc.reads == 2


def test_a_question_of_many_spans_is_exact() -> None:
    """A resyncing peer's step 2 carries its whole delete set: implicit deletions taken for
    news would be logged and relayed as a no-op at every reconnect."""
    doc = Document()
    known = KnownDeletions(doc.read)
    assert not known.covers({1: ((0, 1),)})
    known.noted({2: ((0, 1),)})
    many = {1: tuple((2 * i, 1) for i in range(deleted.EXACT_SPANS + 1))}
    doc.spans = many  # deleted as they arrived: no change says so
    assert not known.covers({1: ((0, 1),)})  # one span: not read again
    assert doc.reads == 1
    assert known.covers(many)
    assert doc.reads == 2
