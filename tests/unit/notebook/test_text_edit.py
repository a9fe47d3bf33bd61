"""Editing a shared Text into a new string with small edits."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
from hypothesis import given, settings
from pycrdt import Doc, Text

from pairbook.notebook.text_edit import set_ytext, text_edits

TEXT = st.text(alphabet=st.sampled_from("ab\n 😀é\r\t"), max_size=40) | st.text(max_size=20)


def shared_text(value: str) -> tuple[Doc[Any], Text]:
    doc: Doc[Any] = Doc()
    ytext = doc.get("source", type=Text)
    ytext += value
    return doc, ytext


@settings(max_examples=200, deadline=None)
@given(TEXT, TEXT)
def test_the_text_reads_the_new_value_afterwards(old: str, new: str) -> None:
    _doc, ytext = shared_text(old)

    set_ytext(ytext, new)

    assert str(ytext) == new


@given(TEXT, TEXT)
def test_the_edits_rebuild_the_new_string(old: str, new: str) -> None:
    result, position = [], 0
    for start, stop, insert in text_edits(old, new):
        assert position <= start <= stop
        result += [old[position:start], insert]
        position = stop
    result.append(old[position:])

    assert "".join(result) == new


def test_a_one_line_change_is_a_small_update() -> None:
    lines = [
        f"value_{index} = compute({index})  # a comment to make lines long\n"
        for index in range(200)
    ]
    old = "".join(lines)
    lines[100] = "value_100 = compute(100) + 1  # changed\n"
    doc, ytext = shared_text(old)
    before = doc.get_state()

    set_ytext(ytext, "".join(lines))

    assert len(doc.get_update(before)) < 80


def test_an_unchanged_text_is_not_touched() -> None:
    doc, ytext = shared_text("same 😀")
    before = doc.get_state()

    set_ytext(ytext, "same 😀")

    assert doc.get_state() == before


def test_edits_land_at_code_point_boundaries_after_multibyte_characters() -> None:
    _doc, ytext = shared_text("😀😀 a 日本 b")

    set_ytext(ytext, "😀😁 a 日本語 b!")

    assert str(ytext) == "😀😁 a 日本語 b!"
