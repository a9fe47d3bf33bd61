"""A notebook's update written straight from its JSON, against the one pycrdt encodes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from pairbook.notebook import base_history_of, read_notebook
from pairbook.notebook.canonical_update import CanonicalUpdate
from pairbook.notebook.history import PLACEHOLDER_CLIENT, built_update
from pairbook.notebook.normal_form import normalize_notebook
from pairbook.notebook.update_writer import Unwritable, notebook_update

from .corpus import CORPUS, GENERATED, corpus_path

BUILT_BEFORE = {
    "bare.ipynb": (
        "6f8b8dbf9ef1340bc9b6bc65bc0e25706a0b1b01bcb7b1e8e631d13716c6d53d",
        "dd6266564737382972dcdbc41930446aacbedf8722b0eb01bebaeedb1892ea68",
    ),
    "empty.ipynb": (
        "129d7c2d1f5659f83ac5bf36711d0ac49a44a28f36403d5db160045fe7a470ed",
        "0575de12745924aa167b0e9bf20fa3ab37f9497e46e38ca43065f54433c95acd",
    ),
    "everything.ipynb": (
        "718e2e6017a625c02bb33c58e0076857138e3066750eb517d6e45c794bef5824",
        "e881c35ec7842fa478dfd9a0f336b8b5cc8ac8c2f66937af9790e09fd0b0c93f",
    ),
    "long.ipynb": (
        "07831ffe698ad7bc2b90fbbc0e37adf7431cc9968af330083b71f2b984ec09c5",
        "89e9cf1379db83e9450d42e586bd58e6eec522ae6a1811297083c23122d2f5ad",
    ),
    "unicode.ipynb": (
        "35616c4e4ec8f3bc9d38794cf34b81b6e3ece69458a0a60c4640765987ae458b",
        "e8200c4d93ac3ca97a1f818eb6e183b57c3b055662301af5219a08aa7a963750",
    ),
}
"""History id and sha256 of the base update, as the build through a pycrdt Doc made them
(main at 0943f7e): a room built from one of these files after the change is the same room."""


def groups(update: CanonicalUpdate) -> list[tuple[int, bytes]]:
    return [(client, b"".join(update.pieces[first:end])) for client, first, end in update.groups]


def same_update(written: CanonicalUpdate, built: CanonicalUpdate) -> None:
    assert written.data == built.data
    moved = {PLACEHOLDER_CLIENT: 0xDEADBEEF}  # its client ids are where the walk found them
    assert written.moved(moved).data == built.moved(moved).data
    assert groups(written.moved(moved)) == groups(built.moved(moved))


@pytest.mark.parametrize("name", CORPUS)
def test_the_written_update_is_the_one_pycrdt_encodes(tmp_path: Path, name: str) -> None:
    normal = normalize_notebook(read_notebook(corpus_path(tmp_path, name)).nb)

    same_update(notebook_update(normal, PLACEHOLDER_CLIENT), built_update(normal))


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_a_file_builds_the_room_it_built_before(tmp_path: Path, name: str) -> None:
    base = base_history_of(read_notebook(corpus_path(tmp_path, name)).nb)

    assert (base.history_id, hashlib.sha256(base.update).hexdigest()) == BUILT_BEFORE[name]


def test_a_large_notebook_with_outputs_is_written_the_same(tmp_path: Path) -> None:
    png = "iVBORw0KGgo" * 3000  # longer than a piece of its own
    cells = [
        {
            "cell_type": "code",
            "execution_count": index + 1,
            "id": f"cell-{index}",
            "metadata": {"tags": ["a"], "scrolled": index % 2 == 0},
            "outputs": [
                {"name": "stdout", "output_type": "stream", "text": "line é 😀\n" * 900},
                {
                    "data": {"image/png": png, "text/plain": "<Figure>"},
                    "metadata": {"image/png": {"width": 640.5}},
                    "output_type": "display_data",
                },
            ],
            "source": f"print({index})\n" * 50,
        }
        for index in range(40)
    ]
    normal = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}

    same_update(notebook_update(normal, PLACEHOLDER_CLIENT), built_update(normal))


NUMBERS = [0, 1, -1, 2**31 - 1, 2**31, 2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63)]
FLOATS = [0.5, 0.1, -0.0, 1e-45, 3.4e38, 3.5e38, 1e300, float("inf"), float("-inf"), float("nan")]


@pytest.mark.parametrize("value", [*NUMBERS, *FLOATS, True, False, None, "", "é😀", [], {}])
def test_each_kind_of_value_is_written_as_pycrdt_writes_it(value: object) -> None:
    normal = {"cells": [], "metadata": {"value": value, "nested": {"b": [value], "a": value}}}

    same_update(notebook_update(normal, PLACEHOLDER_CLIENT), built_update(normal))


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, "\ud800", {"key": "\udfff"}, (1, 2)])
def test_what_pycrdt_may_refuse_is_left_to_it(value: object) -> None:
    with pytest.raises(Unwritable):
        notebook_update({"cells": [], "metadata": {"value": value}}, PLACEHOLDER_CLIENT)


def characters(surrogates: bool) -> st.SearchStrategy[str]:
    excluded = () if surrogates else ("Cs",)
    return st.characters(exclude_categories=excluded)  # type: ignore[arg-type]


def json_values(surrogates: bool) -> st.SearchStrategy[Any]:
    text = st.text(characters(surrogates), max_size=8)
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**64), max_value=2**64)
        | st.sampled_from(NUMBERS)
        | st.floats()
        | text
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3)
        ),
        max_leaves=8,
    )


def hostile_notebooks() -> st.SearchStrategy[dict[str, Any]]:
    """Notebooks as the JSON of a file may have them: any value in metadata, outputs and
    cells that are not what the schema says, lone surrogates, ints beyond 64 bits."""
    text = st.text(characters(surrogates=True), max_size=12)
    value = json_values(surrogates=True)
    source = text | st.lists(text, max_size=3) | value
    output = st.fixed_dictionaries(
        {"output_type": st.sampled_from(["stream", "display_data", "execute_result", "error"])},
        optional={"name": text, "text": source, "data": value, "metadata": value},
    )
    cell = st.fixed_dictionaries(
        {"cell_type": st.sampled_from(["code", "markdown", "raw", "other"]), "id": text},
        optional={
            "source": source,
            "metadata": st.dictionaries(text, value, max_size=3) | value,
            "outputs": st.lists(output | value, max_size=3) | value,
            "execution_count": value,
            "attachments": value,
            "execution_state": value,
        },
    )
    return st.fixed_dictionaries(
        {"cells": st.lists(cell | value, max_size=4)},
        optional={
            "metadata": st.dictionaries(text, value, max_size=3) | value,
            "nbformat": value,
            "nbformat_minor": value,
        },
    )


def schema_notebooks() -> st.SearchStrategy[dict[str, Any]]:
    """Notebooks in the shape the schema gives them, with any JSON in their free parts."""
    text = st.text(characters(surrogates=False), max_size=12)
    value = json_values(surrogates=False)
    mapping = st.dictionaries(text, value, max_size=3)
    stream = st.fixed_dictionaries(
        {"output_type": st.just("stream"), "name": text, "text": text | st.lists(text)}
    )
    display = st.fixed_dictionaries(
        {"output_type": st.just("display_data"), "data": mapping, "metadata": mapping}
    )
    code = st.fixed_dictionaries(
        {
            "cell_type": st.just("code"),
            "id": text,
            "source": text,
            "metadata": mapping,
            "outputs": st.lists(stream | display, max_size=3),
            "execution_count": st.none() | st.integers(0, 2**40),
        }
    )
    markdown = st.fixed_dictionaries(
        {"cell_type": st.sampled_from(["markdown", "raw"]), "id": text, "source": text,
         "metadata": mapping},
        optional={"attachments": mapping},
    )  # fmt: skip
    return st.fixed_dictionaries(
        {
            "cells": st.lists(code | markdown, max_size=4),
            "metadata": mapping,
            "nbformat": st.just(4),
            "nbformat_minor": st.integers(0, 5),
        }
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_notebooks())
def test_any_notebook_is_written_as_pycrdt_encodes_it_or_left_to_pycrdt(
    nb: dict[str, Any],
) -> None:
    try:
        built: CanonicalUpdate | BaseException = built_update(nb)
    except BaseException as exc:  # pycrdt panics: PanicException
        built = exc
    try:
        written = notebook_update(nb, PLACEHOLDER_CLIENT)
    except Unwritable:
        return  # the build takes pycrdt's way: its bytes or its error, as before
    assert isinstance(built, CanonicalUpdate), f"pycrdt refused it: {built!r}"
    same_update(written, built)


@settings(max_examples=200, deadline=None)
@given(schema_notebooks())
def test_a_notebook_as_the_schema_has_it_is_written_straight(nb: dict[str, Any]) -> None:
    try:
        built = built_update(nb)
    except BaseException:  # an int beyond 64 bits: pycrdt panics
        with pytest.raises(Unwritable):
            notebook_update(nb, PLACEHOLDER_CLIENT)
        return

    same_update(notebook_update(nb, PLACEHOLDER_CLIENT), built)
