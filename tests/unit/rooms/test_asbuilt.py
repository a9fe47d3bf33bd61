"""AsBuilt answers a peer holding nothing with the bytes a room was built from, while the
document is unchanged, and keeps nothing alive once the room lets it go."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from pycrdt import Array, Doc, Text

from pairbook.protocol.update import EMPTY_STATE_VECTOR
from pairbook.rooms.asbuilt import AsBuilt


def built() -> tuple[Doc[Any], AsBuilt, bytes]:
    source: Doc[Any] = Doc(client_id=7)
    source.get("cells", type=Array).append(Text("print(1)\nprint(2)"))
    update = source.get_update()
    doc: Doc[Any] = Doc()
    doc.apply_update(update)
    as_built = AsBuilt(doc)
    as_built.keep(update)
    return doc, as_built, update


def text_of(update: bytes) -> str:
    doc: Doc[Any] = Doc()
    doc.apply_update(update)
    return str(doc.get("cells", type=Array)[0])


def test_an_unchanged_document_is_answered_with_the_bytes_it_was_built_from() -> None:
    _, as_built, update = built()
    assert as_built.beyond(EMPTY_STATE_VECTOR) is update


def test_a_deletion_which_moves_no_state_vector_is_seen() -> None:
    doc, as_built, update = built()
    ytext = doc.get("cells", type=Array)[0]
    del ytext[0:9]  # a delete alone: the state vector stays where it was
    answer = as_built.beyond(EMPTY_STATE_VECTOR)
    assert answer is not update
    assert text_of(answer) == "print(2)"
    assert as_built.update is None  # the stale bytes are let go


def test_an_insertion_is_seen() -> None:
    doc, as_built, _ = built()
    ytext = doc.get("cells", type=Array)[0]
    ytext += "\nprint(3)"
    assert text_of(as_built.beyond(EMPTY_STATE_VECTOR)) == "print(1)\nprint(2)\nprint(3)"


def test_a_document_whose_bytes_are_still_kept_is_freed_with_its_room() -> None:
    # pycrdt keeps a Doc's observers in the Doc, out of the garbage collector's sight:
    # the one-shot observer AsBuilt used kept a room's Doc alive for good once the room
    # closed before any change.
    doc, as_built, _ = built()
    gone = weakref.ref(doc)
    del doc, as_built
    gc.collect()
    assert gone() is None
