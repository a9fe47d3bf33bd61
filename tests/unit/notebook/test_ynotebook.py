"""nbformat JSON into a YNotebook Doc and back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_ydoc import YNotebook
from pycrdt import Array, Doc, Map, Text

from pairbook.notebook import (
    base_history_of,
    notebook_to_ydoc,
    read_notebook,
    serialize_notebook,
    ydoc_to_notebook,
)
from pairbook.notebook.normal_form import normalize_notebook
from pairbook.notebook.ynotebook import create_ycell

from .corpus import CORPUS, corpus_path


def doc_from_file(path: Path) -> Doc[Any]:
    content = read_notebook(path)
    doc: Doc[Any] = Doc()
    doc.apply_update(base_history_of(content.nb).update)
    return doc


@pytest.mark.parametrize("name", CORPUS)
def test_every_notebook_survives_the_round_trip_through_a_doc(tmp_path: Path, name: str) -> None:
    content = read_notebook(corpus_path(tmp_path, name))
    doc: Doc[Any] = Doc()
    doc.apply_update(base_history_of(content.nb).update)

    nb = ydoc_to_notebook(doc)

    assert normalize_notebook(nb) == normalize_notebook(content.nb)
    nbformat.validate(nb)


@pytest.mark.parametrize("name", CORPUS)
def test_saving_an_unedited_doc_reproduces_the_file_byte_for_byte(
    tmp_path: Path, name: str
) -> None:
    path = corpus_path(tmp_path, name)

    assert serialize_notebook(ydoc_to_notebook(doc_from_file(path))) == path.read_bytes()


@pytest.mark.parametrize("name", CORPUS)
def test_jupyter_ydoc_reads_the_same_notebook_from_the_doc(tmp_path: Path, name: str) -> None:
    doc = doc_from_file(corpus_path(tmp_path, name))

    theirs = YNotebook(doc).get(deduplicate=False)

    assert normalize_notebook(theirs) == normalize_notebook(ydoc_to_notebook(doc))


def test_the_doc_uses_the_ynotebook_schema(tmp_path: Path) -> None:
    doc = doc_from_file(corpus_path(tmp_path, "everything.ipynb"))
    ycells = doc.get("cells", type=Array)
    ymeta = doc.get("meta", type=Map)
    ystreams = ycells[2]

    assert isinstance(ystreams["source"], Text)
    assert isinstance(ystreams["metadata"], Map)
    assert isinstance(ystreams["outputs"], Array)
    assert isinstance(ystreams["outputs"][0]["text"], Text)
    assert ystreams["execution_state"] == "idle"
    assert ystreams["execution_count"] == 1.0
    assert isinstance(ymeta["metadata"], Map)
    assert ymeta["nbformat"] == 4.0


def test_reading_a_doc_casts_numbers_back_and_drops_execution_state(tmp_path: Path) -> None:
    nb = ydoc_to_notebook(doc_from_file(corpus_path(tmp_path, "everything.ipynb")))
    cell = nb["cells"][3]

    assert type(cell["execution_count"]) is int
    assert type(nb["nbformat_minor"]) is int
    assert cell["outputs"][0]["metadata"] == {"image/png": {"width": 1, "height": 1}}
    assert "execution_state" not in cell


def test_reading_a_doc_does_not_change_it(tmp_path: Path) -> None:
    doc = doc_from_file(corpus_path(tmp_path, "everything.ipynb"))
    ycells = doc.get("cells", type=Array)
    ycells.append(Map({"id": "everything-0", "cell_type": "code", "source": Text("dup")}))
    before = (doc.get_state(), doc.get_update())

    ydoc_to_notebook(doc)

    assert (doc.get_state(), doc.get_update()) == before


def test_a_concurrent_insert_of_the_same_id_keeps_both_cells_with_unique_ids(
    tmp_path: Path,
) -> None:
    alice = doc_from_file(corpus_path(tmp_path, "bare.ipynb"))
    bob: Doc[Any] = Doc()
    bob.apply_update(alice.get_update())
    for doc, source in ((alice, "print('alice')"), (bob, "print('bob')")):
        cell = {"id": "pasted", "cell_type": "code", "metadata": {}, "source": source}
        doc.get("cells", type=Array).insert(1, create_ycell(cell))
    alice.apply_update(bob.get_update(alice.get_state()))
    bob.apply_update(alice.get_update(bob.get_state()))

    nb = ydoc_to_notebook(alice)
    ids = [cell["id"] for cell in nb["cells"]]

    assert sorted(cell["source"] for cell in nb["cells"]) == [
        "print('alice')",
        "print('bob')",
        "x = 1",
    ]
    assert len(set(ids)) == 3
    assert "pasted" in ids
    assert ydoc_to_notebook(bob) == nb
    nbformat.validate(nb)


def test_identical_duplicates_are_kept_too() -> None:
    doc: Doc[Any] = Doc()
    cell = {"id": "same", "cell_type": "markdown", "metadata": {}, "source": "twice"}
    notebook_to_ydoc(
        {"cells": [cell, cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, doc
    )

    nb = ydoc_to_notebook(doc)

    assert [c["source"] for c in nb["cells"]] == ["twice", "twice"]
    assert nb["cells"][0]["id"] == "same"
    assert nb["cells"][1]["id"] != "same"


def test_cells_from_a_sloppy_peer_come_out_valid() -> None:
    doc: Doc[Any] = Doc()
    ycells = doc.get("cells", type=Array)
    ycells.extend(
        [
            Map({"cell_type": "code", "source": Text("no id, no outputs")}),
            Map({"id": "bad id!", "cell_type": "markdown", "source": Text("x"), "outputs": []}),
            Map({"id": "t", "cell_type": "mystery", "source": Text("?")}),
            "not a cell",
        ]
    )

    nb = ydoc_to_notebook(doc)

    assert [cell["cell_type"] for cell in nb["cells"]] == ["code", "markdown", "raw"]
    assert nb["cells"][0]["outputs"] == []
    assert "outputs" not in nb["cells"][1]
    nbformat.validate(nb)


def test_an_empty_doc_reads_as_an_empty_valid_notebook() -> None:
    nb = ydoc_to_notebook(Doc())

    assert nb == {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    nbformat.validate(nb)


def test_pairbook_roots_never_reach_the_notebook(tmp_path: Path) -> None:
    doc = doc_from_file(corpus_path(tmp_path, "bare.ipynb"))
    doc["kernel"] = Map({"status": "idle"})

    nb = ydoc_to_notebook(doc)

    assert set(nb) == {"cells", "metadata", "nbformat", "nbformat_minor"}
    assert nb["metadata"] == {}
