"""Bringing an open document to a notebook changed on disk, with small edits."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings
from pycrdt import Array, Doc, Map, Text

from pairbook.errors import NotebookError
from pairbook.notebook import (
    apply_notebook_to_ydoc,
    base_history_of,
    read_notebook,
    ydoc_to_notebook,
)
from pairbook.notebook.normal_form import normalize_notebook
from pairbook.notebook.ynotebook import create_ycell

from .corpus import CORPUS, corpus_path


def open_room(tmp_path: Path, name: str) -> tuple[Doc[Any], Doc[Any], dict[str, Any]]:
    """The room's Doc built from a corpus notebook, a peer synced with it, and the notebook."""
    content = read_notebook(corpus_path(tmp_path, name))
    room: Doc[Any] = Doc()
    room.apply_update(base_history_of(content.nb).update)
    peer: Doc[Any] = Doc()
    peer.apply_update(room.get_update())
    return room, peer, copy.deepcopy(content.nb)


def sync(source: Doc[Any], target: Doc[Any]) -> bytes:
    update = source.get_update(target.get_state())
    target.apply_update(update)
    return update


def assert_holds(doc: Doc[Any], nb: dict[str, Any]) -> None:
    assert normalize_notebook(ydoc_to_notebook(doc)) == normalize_notebook(nb)


@pytest.mark.parametrize("name", CORPUS)
def test_an_empty_doc_receives_the_whole_notebook(tmp_path: Path, name: str) -> None:
    nb = read_notebook(corpus_path(tmp_path, name)).nb
    doc: Doc[Any] = Doc()

    apply_notebook_to_ydoc(nb, doc)

    assert_holds(doc, nb)


@pytest.mark.parametrize("name", CORPUS)
def test_applying_the_notebook_the_doc_already_holds_changes_nothing(
    tmp_path: Path, name: str
) -> None:
    room, _peer, nb = open_room(tmp_path, name)
    before = room.get_state()

    apply_notebook_to_ydoc(nb, room)

    assert room.get_state() == before


def test_a_one_line_change_reaches_a_peer_as_a_small_update(tmp_path: Path) -> None:
    room, peer, nb = open_room(tmp_path, "02-explore-sales.ipynb")
    cell = nb["cells"][1]
    cell["source"] = cell["source"].replace(
        "2024-02-22,West,pen,60,1.10", "2024-02-22,West,pen,61,1.10"
    )

    apply_notebook_to_ydoc(nb, room)
    update = sync(room, peer)

    assert len(update) < 60
    assert_holds(peer, nb)


def test_cells_are_inserted_deleted_and_moved(tmp_path: Path) -> None:
    room, peer, nb = open_room(tmp_path, "long.ipynb")
    cells = nb["cells"]
    moved = cells.pop(5)
    cells.insert(40, moved)
    del cells[10:13]
    cells.insert(0, {"id": "new-first", "cell_type": "markdown", "metadata": {}, "source": "hi"})
    cells.append({"id": "new-last", "cell_type": "raw", "metadata": {}, "source": "bye"})

    apply_notebook_to_ydoc(nb, room)
    update = sync(room, peer)

    assert_holds(peer, nb)
    assert len(update) < 1000


def test_a_kept_cell_keeps_its_shared_text(tmp_path: Path) -> None:
    room, _peer, nb = open_room(tmp_path, "long.ipynb")
    ysource = room.get("cells", type=Array)[2]["source"]
    nb["cells"][2]["source"] += "\nmore = 1"
    nb["cells"][2]["metadata"]["tags"] = ["new"]
    nb["cells"][2]["execution_count"] = None
    nb["cells"][2]["outputs"] = []

    apply_notebook_to_ydoc(nb, room)

    # The Text taken before the change reads the new source: it was edited, not replaced.
    assert str(ysource) == nb["cells"][2]["source"]
    assert_holds(room, nb)


def test_a_growing_stream_output_is_extended_in_place(tmp_path: Path) -> None:
    room, peer, nb = open_room(tmp_path, "everything.ipynb")
    nb["cells"][2]["outputs"][0]["text"] += "and one more line\n"

    apply_notebook_to_ydoc(nb, room)
    update = sync(room, peer)

    assert len(update) < 60
    assert_holds(peer, nb)


def test_a_changed_cell_type_replaces_the_cell(tmp_path: Path) -> None:
    room, _peer, nb = open_room(tmp_path, "everything.ipynb")
    nb["cells"][6] = {"id": "empty", "cell_type": "markdown", "metadata": {}, "source": "now md"}

    apply_notebook_to_ydoc(nb, room)

    assert_holds(room, nb)


def test_metadata_keys_are_set_and_removed(tmp_path: Path) -> None:
    room, _peer, nb = open_room(tmp_path, "everything.ipynb")
    del nb["metadata"]["authors"]
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3.12"
    nb["cells"][2]["metadata"] = {"tags": ["io"]}
    del nb["cells"][0]["attachments"]

    apply_notebook_to_ydoc(nb, room)

    assert_holds(room, nb)


def test_transient_keys_in_the_doc_are_left_alone(tmp_path: Path) -> None:
    room, _peer, nb = open_room(tmp_path, "bare.ipynb")
    ycell = room.get("cells", type=Array)[0]
    ycell["metadata"]["trusted"] = True
    nb["cells"][0]["source"] = "x = 2"

    apply_notebook_to_ydoc(nb, room)

    assert ycell["metadata"].to_py() == {"trusted": True}
    assert str(ycell["source"]) == "x = 2"


def test_duplicate_ids_are_fixed_in_place_by_applying_what_was_read(tmp_path: Path) -> None:
    room, _peer, _nb = open_room(tmp_path, "bare.ipynb")
    ycells = room.get("cells", type=Array)
    duplicate: dict[str, Any] = {"id": "only", "cell_type": "code", "metadata": {}, "source": "y",
                 "outputs": [], "execution_count": None}  # fmt: skip
    ycells.append(create_ycell(duplicate))
    read = ydoc_to_notebook(room)
    before = room.get_state()

    apply_notebook_to_ydoc(read, room)

    assert [ycell["id"] for ycell in ycells] == [cell["id"] for cell in read["cells"]]
    assert str(ycells[1]["source"]) == "y"
    assert len(room.get_update(before)) < 60  # one id written, one deleted


def test_pairbook_roots_are_left_alone(tmp_path: Path) -> None:
    room, _peer, nb = open_room(tmp_path, "bare.ipynb")
    room["kernel"] = Map({"status": "busy"})
    marker = room.get("pairbook", type=Map).to_py()
    nb["cells"] = []

    apply_notebook_to_ydoc(nb, room)

    assert room.get("kernel", type=Map).to_py() == {"status": "busy"}
    assert room.get("pairbook", type=Map).to_py() == marker
    assert ydoc_to_notebook(room)["cells"] == []


def test_an_invalid_notebook_is_refused_and_the_doc_untouched(tmp_path: Path) -> None:
    room, _peer, nb = open_room(tmp_path, "bare.ipynb")
    del nb["cells"][0]["source"]
    before = room.get_state()

    with pytest.raises(NotebookError, match=r"cells\[0\]"):
        apply_notebook_to_ydoc(nb, room)

    assert room.get_state() == before


def test_a_cell_whose_source_is_not_shared_text_gets_one() -> None:
    doc: Doc[Any] = Doc()
    doc.get("cells", type=Array).append(Map({"id": "c", "cell_type": "code", "source": "plain"}))
    nb = {
        "cells": [{"id": "c", "cell_type": "code", "metadata": {}, "source": "plain!",
                   "outputs": [], "execution_count": None}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip

    apply_notebook_to_ydoc(nb, doc)

    assert isinstance(doc.get("cells", type=Array)[0]["source"], Text)
    assert_holds(doc, nb)


SOURCES = st.text(alphabet=st.sampled_from("xy= \n😀"), max_size=12)


@st.composite
def edited_notebooks(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A list of cells, and an edit of it: reordered, some dropped, some new, some changed."""

    def cell(cell_id: str) -> dict[str, Any]:
        if draw(st.booleans()):
            return {"id": cell_id, "cell_type": "markdown", "metadata": {}, "source": draw(SOURCES)}
        stream = {"output_type": "stream", "name": "stdout", "text": draw(SOURCES)}
        return {"id": cell_id, "cell_type": "code", "metadata": {}, "source": draw(SOURCES),
                "execution_count": draw(st.none() | st.integers(1, 9)),
                "outputs": draw(st.lists(st.just(stream), max_size=2))}  # fmt: skip

    before = [cell(f"c{index}") for index in range(draw(st.integers(0, 6)))]
    after = draw(st.permutations(before))
    after = [c for c in after if draw(st.integers(0, 4))]
    after = [cell(c["id"]) if draw(st.booleans()) else c for c in after]
    for index in range(draw(st.integers(0, 3))):
        after.insert(draw(st.integers(0, len(after))), cell(f"new{index}"))
    return before, after


@settings(max_examples=80, deadline=None)
@given(edited_notebooks())
def test_any_edit_of_the_cells_is_reproduced_on_a_peer(
    cells: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    before, after = cells

    def notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
        return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}

    room: Doc[Any] = Doc()
    apply_notebook_to_ydoc(notebook(before), room)
    peer: Doc[Any] = Doc()
    sync(room, peer)

    apply_notebook_to_ydoc(notebook(after), room)
    sync(room, peer)

    assert_holds(peer, notebook(after))
