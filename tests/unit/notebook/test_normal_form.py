"""The normal form of a notebook, against nbformat's own reader and helpers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import nbformat
import pytest
from hypothesis import given, settings
from nbformat.v4.rwbase import rejoin_lines, strip_transient
from pycrdt import Doc

from pairbook.notebook import read_notebook
from pairbook.notebook.history import base_history_of
from pairbook.notebook.normal_form import as_yjs_numbers, normalize_notebook, to_plain_json
from pairbook.notebook.ynotebook import notebook_to_ydoc, ydoc_to_notebook

from .corpus import CORPUS, corpus_path, write_json


def nbformat_normal(nb: dict[str, Any]) -> dict[str, Any]:
    """The normal form as nbformat's helpers make it, on a NotebookNode."""
    node = rejoin_lines(nbformat.from_dict(copy.deepcopy(nb)))
    result: dict[str, Any] = as_yjs_numbers(to_plain_json(strip_transient(node)))
    return result


def nbformat_read(raw: bytes) -> dict[str, Any]:
    """A current notebook file as nbformat's reader gives it, as plain JSON."""
    result: dict[str, Any] = to_plain_json(nbformat.reads(raw.decode(), as_version=4))
    return result


SPLIT_AND_TRANSIENT = {
    "cells": [
        {
            "attachments": {"a.png": {"image/png": "iVBOR", "text/plain": ["a\n", "b"]}},
            "cell_type": "markdown",
            "id": "md",
            "metadata": {"trusted": True, "tags": ["x"]},
            "source": ["# Title\n", "\n", "![a](attachment:a.png)"],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "id": "code",
            "metadata": {"trusted": False},
            "outputs": [
                {"name": "stdout", "output_type": "stream", "text": ["one\n", "two\n"]},
                {
                    "data": {
                        "application/json": ["kept", "as a list"],
                        "application/vnd.x+json": ["kept", "too"],
                        "text/html": ["<b>\n", "bold</b>"],
                        "image/svg+xml": ["<svg>\n", "</svg>"],
                    },
                    "execution_count": 2,
                    "metadata": {"scale": 2.0},
                    "output_type": "execute_result",
                },
                {"ename": "E", "evalue": "e", "output_type": "error", "traceback": ["a", "b"]},
            ],
            "source": ["x = 1\n", "x"],
        },
    ],
    "metadata": {
        "orig_nbformat": 3,
        "signature": "sha256:00",
        "kernelspec": {"name": "py", "display_name": "Py"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.mark.parametrize("name", CORPUS)
def test_a_current_file_reads_as_nbformats_reader_reads_it(tmp_path: Path, name: str) -> None:
    path = corpus_path(tmp_path, name)

    assert read_notebook(path).nb == nbformat_read(path.read_bytes())


def test_split_lines_and_transient_keys_are_read_as_nbformat_reads_them(tmp_path: Path) -> None:
    path = write_json(tmp_path / "split.ipynb", SPLIT_AND_TRANSIENT)

    nb = read_notebook(path).nb

    assert nb == nbformat_read(path.read_bytes())
    assert nb["cells"][1]["outputs"][1]["data"]["application/json"] == ["kept", "as a list"]


@pytest.mark.parametrize("name", CORPUS)
def test_the_normal_form_is_the_one_nbformats_helpers_make(tmp_path: Path, name: str) -> None:
    nb = json.loads(corpus_path(tmp_path, name).read_bytes())

    assert normalize_notebook(nb) == nbformat_normal(nb)


def test_the_normal_form_leaves_the_notebook_it_is_given_alone() -> None:
    nb = copy.deepcopy(SPLIT_AND_TRANSIENT)

    normal = normalize_notebook(nb)

    assert nb == SPLIT_AND_TRANSIENT
    assert normal == nbformat_normal(nb)
    assert normal["metadata"] == {"kernelspec": {"name": "py", "display_name": "Py"}}


lines = st.lists(st.text(max_size=5), max_size=3)
texts = st.text(max_size=5) | lines
values = st.none() | st.integers() | st.floats(allow_nan=False) | texts
mime_keys = st.sampled_from(["text/plain", "application/json", "application/a+json", "image/png"])
bundles = st.dictionaries(mime_keys, values, max_size=3)
metadata = st.dictionaries(st.sampled_from(["trusted", "tags", "scale"]), values, max_size=2)
outputs = st.fixed_dictionaries(
    {"output_type": st.sampled_from(["stream", "display_data", "execute_result", "error", ""])},
    optional={"text": texts, "data": bundles, "metadata": metadata},
)
cells = st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "markdown", "raw"]), "metadata": metadata},
    optional={
        "source": texts,
        "outputs": st.lists(outputs, max_size=3),
        "attachments": st.dictionaries(st.text(max_size=3), bundles, max_size=2),
    },
)
notebooks = st.fixed_dictionaries(
    {
        "cells": st.lists(cells, max_size=3),
        "metadata": st.dictionaries(
            st.sampled_from(["signature", "orig_nbformat", "kernelspec"]), values, max_size=3
        ),
    }
)


@settings(max_examples=200, deadline=None)
@given(notebooks)
def test_any_notebook_of_that_shape_is_normalised_as_nbformat_does(nb: dict[str, Any]) -> None:
    assert normalize_notebook(nb) == nbformat_normal(nb)


def test_numbers_a_yjs_document_cannot_hold_are_made_what_javascript_reads() -> None:
    made = as_yjs_numbers(
        {"int": 2.0, "far": 1e300, "edge": -(2.0**63), "big": 10**30, "huge": 10**400,
         "yes": True, "list": [3.0, 0.5]}
    )  # fmt: skip
    assert made == {"int": 2, "far": 1e300, "edge": -(2**63), "big": 1e30,
                    "huge": str(10**400), "yes": True, "list": [3, 0.5]}  # fmt: skip
    assert [type(made[k]) for k in ("int", "far", "edge", "big", "yes")] == [
        int, float, int, float, bool,
    ]  # fmt: skip


def test_a_notebook_with_numbers_beyond_64_bits_builds_its_room_and_keeps_them() -> None:
    # A notebook with 1e300 in its metadata could not be opened: pycrdt panicked on the int
    # the normal form made of it.
    bundle = {"application/json": {"n": 1e300, "m": 10**30}}
    output = {"output_type": "display_data", "metadata": {}, "data": bundle}
    cell = {"id": "c1", "cell_type": "code", "source": "x", "metadata": {},
            "execution_count": 1, "outputs": [output]}  # fmt: skip
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"scale": 1e300}, "cells": [cell]}
    base_history_of(nb)
    doc: Doc[Any] = Doc()
    notebook_to_ydoc(normalize_notebook(nb), doc)
    back = ydoc_to_notebook(doc)
    assert back["metadata"]["scale"] == 1e300
    assert back["cells"][0]["outputs"][0]["data"]["application/json"] == {"n": 1e300, "m": 1e30}
