"""The deterministic base history a room starts from."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given
from pycrdt import Array, Doc, Map, Text, get_state, merge_updates

from pairbook.notebook import (
    base_client_ids,
    base_history_of,
    history_id_of,
    read_notebook,
    ydoc_to_notebook,
)
from pairbook.notebook.canonical_update import canonical_form, canonicalize_update
from pairbook.notebook.history import BUILD_VERSION, PLACEHOLDER_CLIENT
from pairbook.notebook.normal_form import normalize_notebook
from pairbook.notebook.ynotebook import notebook_to_ydoc
from pairbook.schema import HISTORY_KEY, PAIRBOOK_MAP

from .corpus import CORPUS, corpus_path, write_json

BUILD_IN_SUBPROCESS = """
import sys
from pathlib import Path
from pairbook.notebook import base_history_of, read_notebook
content = read_notebook(Path(sys.argv[1]))
sys.stdout.write(base_history_of(content.nb).update.hex())
"""


def base_update(path: Path) -> bytes:
    return base_history_of(read_notebook(path).nb).update


def state_vector(update: bytes) -> dict[int, int]:
    """Decode a v1 state vector: varuint count, then (client, clock) pairs."""
    data, pos = get_state(update), 0

    def var_uint() -> int:
        nonlocal pos
        value, shift = 0, 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    return {var_uint(): var_uint() for _ in range(var_uint())}


def test_building_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    path = corpus_path(tmp_path, "everything.ipynb")

    assert base_update(path) == base_update(path)


@pytest.mark.parametrize("name", CORPUS)
def test_the_base_is_the_notebook_written_by_its_client_and_the_marker(
    tmp_path: Path, name: str
) -> None:
    # Built the straightforward way: the notebook written under the client its history
    # picks, the marker under the other. The build writes it once under a placeholder
    # client and moves it: the notebook's part must be the very same bytes.
    content = read_notebook(corpus_path(tmp_path, name))
    base = base_history_of(content.nb)
    ids = base_client_ids(base.history_id)
    notebook_doc: Doc[Any] = Doc(client_id=ids.notebook)
    notebook_to_ydoc(normalize_notebook(content.nb), notebook_doc)
    marker_doc: Doc[Any] = Doc(client_id=ids.pairbook)
    marker_doc.get(PAIRBOOK_MAP, type=Map)[HISTORY_KEY] = base.history_id
    merged = merge_updates(notebook_doc.get_update(), marker_doc.get_update())
    built: Doc[Any] = Doc()
    built.apply_update(base.update)
    expected: Doc[Any] = Doc()
    expected.apply_update(merged)

    direct = canonical_form(notebook_doc.get_update())
    ((client, first, end),) = direct.groups
    assert client == ids.notebook
    assert b"".join(direct.pieces[first:end]) in base.update
    assert built.get_state() == expected.get_state()
    assert ydoc_to_notebook(built) == ydoc_to_notebook(expected)
    assert built.get(PAIRBOOK_MAP, type=Map).to_py() == {HISTORY_KEY: base.history_id}


def test_the_history_id_hashes_the_notebooks_canonical_update(tmp_path: Path) -> None:
    content = read_notebook(corpus_path(tmp_path, "everything.ipynb"))
    doc: Doc[Any] = Doc(client_id=PLACEHOLDER_CLIENT)
    notebook_to_ydoc(normalize_notebook(content.nb), doc)

    expected = hashlib.sha256(BUILD_VERSION + canonicalize_update(doc.get_update()))

    assert history_id_of(content) == expected.hexdigest()


def test_another_process_builds_the_same_bytes(tmp_path: Path) -> None:
    # pycrdt encodes dict values through a per-process randomly seeded HashMap: this is the
    # test that the build does not depend on that order.
    path = corpus_path(tmp_path, "everything.ipynb")
    runs = [
        subprocess.run(
            [sys.executable, "-c", BUILD_IN_SUBPROCESS, str(path)],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        for _ in range(2)
    ]

    assert runs[0] == runs[1] == base_update(path).hex()


def test_the_update_is_written_by_exactly_the_two_base_clients(tmp_path: Path) -> None:
    content = read_notebook(corpus_path(tmp_path, "long.ipynb"))
    base = base_history_of(content.nb)
    ids = base_client_ids(base.history_id)

    clients = state_vector(base.update)

    assert set(clients) == {ids.notebook, ids.pairbook}
    assert clients[ids.pairbook] == 1


def test_the_marker_names_the_history(tmp_path: Path) -> None:
    content = read_notebook(corpus_path(tmp_path, "bare.ipynb"))
    base = base_history_of(content.nb)
    doc: Doc[Any] = Doc()

    doc.apply_update(base.update)

    assert doc.get("pairbook", type=Map).to_py() == {"history": base.history_id}


def test_a_different_file_gives_a_different_history_and_client_ids(tmp_path: Path) -> None:
    first = read_notebook(corpus_path(tmp_path, "bare.ipynb"))
    nb = json.loads(first.raw)
    nb["cells"][0]["source"] = "x = 2"
    second = read_notebook(write_json(tmp_path / "changed.ipynb", nb))

    first_ids = base_client_ids(history_id_of(first))
    second_ids = base_client_ids(history_id_of(second))

    assert history_id_of(first) != history_id_of(second)
    assert {first_ids.notebook, first_ids.pairbook}.isdisjoint(
        {second_ids.notebook, second_ids.pairbook}
    )


def test_formatting_and_key_order_do_not_change_the_history(tmp_path: Path) -> None:
    path = corpus_path(tmp_path, "everything.ipynb")
    data = json.loads(path.read_bytes())
    data = {key: data[key] for key in reversed(list(data))}
    reformatted = write_json(tmp_path / "reformatted.ipynb", data, indent=4)

    assert history_id_of(read_notebook(reformatted)) == history_id_of(read_notebook(path))
    assert base_update(reformatted) == base_update(path)


def test_a_browser_from_before_a_restart_merges_without_duplicates(tmp_path: Path) -> None:
    path = corpus_path(tmp_path, "long.ipynb")
    browser: Doc[Any] = Doc()
    browser.apply_update(base_update(path))
    ysource = browser.get("cells", type=Array)[1]["source"]
    assert isinstance(ysource, Text)
    ysource += "\n# edited in the browser"
    restarted: Doc[Any] = Doc()
    restarted.apply_update(base_update(path))

    restarted.apply_update(browser.get_update(restarted.get_state()))

    nb = ydoc_to_notebook(restarted)
    assert len(nb["cells"]) == 60
    assert nb["cells"][1]["source"].endswith("# edited in the browser")
    assert restarted.get("pairbook", type=Map).to_py() == browser.get("pairbook", type=Map).to_py()


@given(st.text(min_size=1))
def test_base_client_ids_are_two_distinct_nonzero_32_bit_ids(history_id: str) -> None:
    ids = base_client_ids(history_id)

    assert 0 < ids.notebook < 2**32
    assert 0 < ids.pairbook < 2**32
    assert ids.notebook != ids.pairbook
    assert base_client_ids(history_id) == ids


def test_the_history_id_is_a_sha256_hex_digest(tmp_path: Path) -> None:
    history_id = history_id_of(read_notebook(corpus_path(tmp_path, "bare.ipynb")))

    assert len(history_id) == 64
    assert int(history_id, 16) >= 0
