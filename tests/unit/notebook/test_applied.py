"""apply_update: what a document took of an update, when pycrdt applies all, none or part."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pycrdt import Doc, Text, merge_updates

from pairbook.notebook.applied import Applied, Waiting, apply_update
from pairbook.protocol.lib0 import Encoder


def two_structs(second_parent_is_a_character: bool) -> bytes:
    """ "ab" into a root text, then "c": after the "b", or with the character "a" as its
    parent (not a type: pycrdt integrates the first struct, then fails on the second)."""
    encoder = Encoder()
    for number in (1, 2, 99, 0):  # one client, two structs, client 99 from clock 0
        encoder.write_var_uint(number)
    encoder.write_uint8(4)  # ContentString, parent follows
    encoder.write_var_uint(1)
    encoder.write_var_string("t")
    encoder.write_var_string("ab")
    if second_parent_is_a_character:
        encoder.write_uint8(4)
        for number in (0, 99, 0):  # parent: the ID (99, 0)
            encoder.write_var_uint(number)
    else:
        encoder.write_uint8(0x84)  # origin: (99, 1)
        for number in (99, 1):
            encoder.write_var_uint(number)
    encoder.write_var_string("c")
    encoder.write_var_uint(0)  # empty delete set
    return encoder.to_bytes()


def text_of(doc: Doc[Any]) -> str:
    return str(doc.get("t", type=Text))


def test_an_update_applied_whole_says_what_the_document_took() -> None:
    doc: Doc[Any] = Doc()
    applied = apply_update(doc, two_structs(second_parent_is_a_character=False))
    assert applied.error is None
    assert text_of(doc) == "abc"
    assert applied.taken is not None
    replica: Doc[Any] = Doc()
    replica.apply_update(applied.taken)
    assert text_of(replica) == "abc"


def test_bytes_pycrdt_cannot_read_leave_the_document_untouched() -> None:
    doc: Doc[Any] = Doc()
    applied = apply_update(doc, b"\x01\x01\x07\x00\x02\x01\x06legacy\x03")  # truncated JSON
    assert applied.error is not None
    assert applied.taken is None
    assert not applied.partly


def test_a_half_applied_update_says_which_half() -> None:
    doc: Doc[Any] = Doc()
    applied = apply_update(doc, two_structs(second_parent_is_a_character=True))
    assert applied.partly
    assert applied.taken is not None
    assert text_of(doc) == "ab"
    replica: Doc[Any] = Doc()
    assert apply_update(replica, applied.taken).error is None
    assert text_of(replica) == "ab"


def test_an_observer_that_raises_is_our_bug_not_the_peers_update(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """pycrdt raises what observers raised after the transaction committed: the document
    has the whole update, so it must be logged and relayed, and the traceback logged."""
    source: Doc[Any] = Doc()
    text = source.get("t", type=Text)
    text += "hello"
    update = source.get_update()
    room: Doc[Any] = Doc()
    room_text = room.get("t", type=Text)

    def broken(_event: object) -> None:
        raise RuntimeError("observer bug")

    room.observe(broken)
    with caplog.at_level(logging.ERROR, logger="pairbook.room"):
        applied = apply_update(room, update)
    assert applied == Applied(update)
    assert str(room_text) == "hello"
    assert "an observer failed" in caplog.text
    assert "observer bug" in caplog.text


def test_with_the_state_vector_known_the_document_is_not_read_before_each_update(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A room's sync machine keeps the document's state vector: applying a peer's update
    does not read it from the document first (issue #14: as long as applying a keystroke)."""
    reads: list[Doc[Any]] = []
    get_state = Doc.get_state

    def counted(self: Doc[Any]) -> bytes:
        reads.append(self)
        return get_state(self)

    monkeypatch.setattr(Doc, "get_state", counted)
    doc: Doc[Any] = Doc()
    update = two_structs(second_parent_is_a_character=False)
    assert apply_update(doc, update, {}) == Applied(update)
    assert text_of(doc) == "abc"
    assert reads == []


@pytest.mark.parametrize("known", [None, {}])
def test_what_a_failed_update_left_is_found_with_the_state_vector_known_or_read(
    known: dict[int, int] | None,
) -> None:
    doc: Doc[Any] = Doc()
    applied = apply_update(doc, two_structs(second_parent_is_a_character=True), known)
    assert applied.partly
    assert applied.taken is not None
    replica: Doc[Any] = Doc()
    assert apply_update(replica, applied.taken).error is None
    assert text_of(replica) == "ab"
    untouched: Doc[Any] = Doc()
    refused = apply_update(untouched, b"\x01\x01\x07\x00\x02\x01\x06legacy\x03", known)
    assert refused.error is not None
    assert refused.taken is None


# -- structs that wait -------------------------------------------------------------------------


def gapped() -> tuple[bytes, bytes, bytes]:
    """'a', 'bc', 'd' typed one after the other: three updates of one client."""
    doc: Doc[Any] = Doc()
    text = doc.get("t", type=Text)
    updates = []
    for typed in ("a", "bc", "d"):
        before = doc.get_state()
        text.insert(len(text), typed)
        updates.append(doc.get_update(before))
    first, middle, last = updates
    return first, middle, last


def test_a_documents_encoding_leaves_the_structs_that_wait_out() -> None:
    """The pycrdt (yrs) fact Waiting exists for: checked, not assumed."""
    first, middle, last = gapped()
    doc: Doc[Any] = Doc()
    doc.apply_update(merge_updates(first, last))  # 'd' waits for 'bc', its origin
    copy: Doc[Any] = Doc()
    copy.apply_update(doc.get_update())
    doc.apply_update(middle)
    copy.apply_update(middle)
    assert (text_of(doc), text_of(copy)) == ("abcd", "abc")


def test_waiting_follows_a_document_until_what_waited_integrates() -> None:
    first, middle, last = gapped()
    doc: Doc[Any] = Doc()
    waiting = Waiting()
    assert not waiting
    assert waiting.encode(doc) == doc.get_update()
    doc.apply_update(first)
    waiting.took(first, doc.get_state())
    assert not waiting
    doc.apply_update(last)  # 'd' waits
    waiting.took(last, doc.get_state())
    assert waiting
    copy: Doc[Any] = Doc()
    copy.apply_update(waiting.encode(doc))  # with it: it waits there too
    assert text_of(copy) == "a"
    assert Waiting.left_by([first, last], copy.get_state()).update == waiting.update
    doc.apply_update(middle)
    waiting.took(middle, doc.get_state())
    assert not waiting
    copy.apply_update(middle)
    assert text_of(copy) == text_of(doc) == "abcd"
