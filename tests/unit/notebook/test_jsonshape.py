"""Notebooks that JSON and nbformat accept but the shared document cannot hold are refused
at the parse, naming where, and so are never a failure of the room built from them."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc

from pairbook.errors import NotebookError
from pairbook.notebook import notebook_to_ydoc, ydoc_to_notebook
from pairbook.notebook.ipynb import parse_notebook, serialize_notebook
from pairbook.notebook.jsonshape import MAX_NESTING


def raw(source: str = "x = 1", metadata: str = "{}", output: str = '"1"') -> bytes:
    return (
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": ' + metadata + ', "cells": [{'
        '"cell_type": "code", "id": "c1", "metadata": {}, "source": "' + source + '",'
        ' "execution_count": 1, "outputs": [{"output_type": "execute_result",'
        ' "execution_count": 1, "metadata": {}, "data": {"text/plain": ' + output + "}}]}]}"
    ).encode()


def refusal(data: bytes) -> str:
    with pytest.raises(NotebookError) as caught:
        parse_notebook(data, name="hostile.ipynb", salt="s")
    return str(caught.value)


def roundtrip(data: bytes) -> dict[str, object]:
    """What a room does with a notebook: parse, build its document, read it out, save it."""
    doc: Doc[Any] = Doc()
    notebook_to_ydoc(parse_notebook(data, name="ok.ipynb", salt="s"), doc)
    nb = ydoc_to_notebook(doc)
    serialize_notebook(nb)
    return nb


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (raw(source="x = '\\ud800'"), "cells[0].source: holds a lone surrogate escape \\ud800"),
        (raw(source="\\udfff"), "cells[0].source: holds a lone surrogate escape \\udfff"),
        (raw(metadata='{"tags": ["\\ud83d"]}'), "metadata.tags[0]: holds a lone surrogate"),
        (raw(metadata='{"\\udc80": 1}'), "metadata.\\udc80: its key holds a lone surrogate"),
        (raw(output='"a\\ude00"'), "cells[0].outputs[0].data.text/plain: holds a lone"),
    ],
)
def test_a_lone_surrogate_escape_is_refused_naming_where(data: bytes, where: str) -> None:
    message = refusal(data)
    assert message.startswith(f"hostile.ipynb: {where}"), message
    assert "restore" in message
    message.encode("utf-8")  # a close frame's reason can carry it


def test_escaped_surrogate_pairs_and_escaped_backslashes_are_text() -> None:
    # An emoji written as an escaped pair, and a backslash followed by "ud800".
    nb = roundtrip(raw(source="\\ud83d\\ude00 \\\\ud800"))
    assert nb["cells"][0]["source"] == "\U0001f600 \\ud800"  # type: ignore[index]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_limit_opens_and_deeper_is_refused() -> None:
    # The notebook itself is 1 level, metadata 2: x's arrays may take the rest.
    roundtrip(raw(metadata='{"x": ' + nested(MAX_NESTING - 2) + "}"))
    message = refusal(raw(metadata='{"x": ' + nested(MAX_NESTING - 1) + "}"))
    assert message.startswith("hostile.ipynb: metadata.x"), message
    assert f"more than {MAX_NESTING} levels deep" in message


@pytest.mark.parametrize("depth", [500, 5000, 100_000])
def test_nesting_that_exhausts_recursion_is_refused(depth: int) -> None:
    # json.loads raised RecursionError from ~1,000 levels, the document's build from ~400.
    assert "levels deep" in refusal(raw(metadata='{"x": ' + nested(depth) + "}"))


@pytest.mark.parametrize("number", ["9223372036854775808", "-9223372036854775809", "1" * 40])
def test_an_integer_beyond_64_bits_is_refused(number: str) -> None:
    # pycrdt panicked converting it (an OverflowError inside Rust).
    message = refusal(raw(metadata='{"n": ' + number + "}"))
    assert message.startswith("hostile.ipynb: metadata.n: an integer of"), message


@pytest.mark.parametrize(
    ("metadata", "where"),
    [
        ('{"xs": [1, 2.5, 9223372036854775808]}', "metadata.xs[2]"),
        ('{"xs": [NaN, -9223372036854775809, 1]}', "metadata.xs[1]"),
        ('{"xs": [Infinity, true, 9223372036854775808]}', "metadata.xs[2]"),
        ('{"xs": ["a", null, true, 18446744073709551616]}', "metadata.xs[3]"),
        ('{"m": {"a": 1.5, "b": -9223372036854775809}}', "metadata.m.b"),
        ('{"m": {"a": [1], "b": 9223372036854775808}}', "metadata.m.b"),
    ],
)
def test_an_integer_beyond_64_bits_among_other_values_is_refused(metadata: str, where: str) -> None:
    # Lists and maps without containers are looked at in C: their ints must not slip by.
    message = refusal(raw(metadata=metadata))
    assert message.startswith(f"hostile.ipynb: {where}: an integer of"), message


def test_floats_beyond_64_bits_beside_64_bit_integers_open() -> None:
    nb = roundtrip(raw(metadata='{"xs": [1e300, -1e300, 9223372036854775807, NaN, 1]}'))
    assert nb["metadata"]["xs"][2] == 9223372036854775807  # type: ignore[index]


def test_an_integer_of_thousands_of_digits_is_refused() -> None:
    assert "4,300 digits" in refusal(raw(metadata='{"n": ' + "1" * 5000 + "}"))


def test_64_bit_integers_and_long_digit_strings_open() -> None:
    nb = roundtrip(
        raw(
            metadata='{"n": 9223372036854775807, "m": -9223372036854775808, "s": "'
            + "7" * 40
            + '"}'
        )
    )
    assert nb["metadata"]["n"] == 9223372036854775807  # type: ignore[index]
