"""Rewriting an update so that equal documents give equal bytes."""

from __future__ import annotations

import hashlib
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings
from pycrdt import Array, Doc, Map, Text

from pairbook.notebook.canonical_update import canonical_form, canonicalize_update, join_updates

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=6),
    max_leaves=20,
)  # fmt: skip


def update_with(value: Any) -> bytes:
    doc: Doc[Any] = Doc(client_id=42)
    ymap = doc.get("m", type=Map)
    with doc.transaction():
        ymap["value"] = value
        ymap["text"] = Text("hé😀")
        ymap["array"] = Array([value, Map({"nested": value})])
    return doc.get_update()


def test_the_same_dict_written_twice_gives_the_same_bytes() -> None:
    value = {f"key{index}": {"inner": index, "other": [index]} for index in range(12)}
    raw = {update_with(value) for _ in range(10)}

    assert len({canonicalize_update(update) for update in raw}) == 1


@settings(max_examples=60, deadline=None)
@given(JSON)
def test_canonical_bytes_decode_to_the_same_document(value: Any) -> None:
    update = update_with(value)
    canonical = canonicalize_update(update)
    original: Doc[Any] = Doc()
    original.apply_update(update)
    rewritten: Doc[Any] = Doc()

    rewritten.apply_update(canonical)

    assert len(canonical) == len(update)
    assert rewritten.get("m", type=Map).to_py() == original.get("m", type=Map).to_py()
    assert canonicalize_update(canonical) == canonical


def test_deletions_survive_the_rewrite() -> None:
    doc: Doc[Any] = Doc(client_id=7)
    ymap = doc.get("m", type=Map)
    ymap["gone"] = {"a": 1, "b": 2}
    del ymap["gone"]
    ytext = doc.get("t", type=Text)
    ytext += "hello world"
    del ytext[0:6]
    rewritten: Doc[Any] = Doc()

    rewritten.apply_update(canonicalize_update(doc.get_update()))

    assert rewritten.get("m", type=Map).to_py() == {}
    assert str(rewritten.get("t", type=Text)) == "world"


@pytest.mark.parametrize("garbage", [b"\x01", b"\x01\x01\x05\x00\x1f", b"\x00\x00\xff"])
def test_bytes_that_are_not_an_update_are_refused(garbage: bytes) -> None:
    with pytest.raises(ValueError, match=r"."):
        canonicalize_update(garbage)


def edits_by(client_id: int) -> bytes:
    doc: Doc[Any] = Doc(client_id=client_id)
    ymap = doc.get("m", type=Map)
    ytext = doc.get("t", type=Text)
    with doc.transaction():
        ymap["value"] = {"b": 1, "a": [2, {"d": 3, "c": 4}]}
        ymap["array"] = Array([1, Map({"nested": Text("x")})])
        ytext += "hello world"
    del ytext[0:6]  # a delete set entry names the client too
    ymap["gone"] = 1
    del ymap["gone"]
    return doc.get_update()


@pytest.mark.parametrize("target", [2, 300, 2**31 + 5])
def test_moving_to_another_client_gives_the_bytes_that_client_writes(target: int) -> None:
    moved = canonicalize_update(edits_by(1), {1: target})

    assert moved == canonicalize_update(edits_by(target))


def test_moving_keeps_what_the_form_knows_of_the_update() -> None:
    form = canonical_form(edits_by(1)).moved({1: 2**31 + 5})
    again = canonical_form(form.data)

    assert [form.data, form.groups, form.deletions] == [again.data, again.groups, again.deletions]
    assert [client for _index, client in form.ids] == [client for _index, client in again.ids]
    assert form.sha256(b"x") == again.sha256(b"x") == hashlib.sha256(b"x" + form.data).hexdigest()


def test_joined_updates_hold_both_documents_with_the_higher_client_first() -> None:
    low, high = canonical_form(edits_by(3)), canonical_form(edits_by(200))
    other: Doc[Any] = Doc(client_id=200)
    other.get("o", type=Map)["x"] = 1
    joined = join_updates([low, canonical_form(other.get_update())])
    doc: Doc[Any] = Doc()

    doc.apply_update(joined)

    assert doc.get("o", type=Map).to_py() == {"x": 1}
    assert str(doc.get("t", type=Text)) == "world"
    assert canonical_form(joined).groups[0][0] == 200
    with pytest.raises(ValueError, match="share a client"):
        join_updates([high, canonical_form(other.get_update())])
