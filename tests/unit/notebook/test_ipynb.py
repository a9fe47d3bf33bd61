"""Reading, validating and serialising .ipynb files."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import nbformat.v3
import pytest

from pairbook.errors import NotebookError
from pairbook.notebook import new_notebook, read_notebook, serialize_notebook
from pairbook.notebook.cell_ids import is_valid_cell_id

from .corpus import CORPUS, GENERATED, corpus_path, plain_v44, write_json


@pytest.mark.parametrize("name", CORPUS)
def test_serialising_a_file_jupyter_wrote_gives_its_bytes_back(tmp_path: Path, name: str) -> None:
    content = read_notebook(corpus_path(tmp_path, name))

    assert serialize_notebook(content.nb) == content.raw


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_serialising_matches_nbformat_writes_plus_a_newline(name: str) -> None:
    nb = GENERATED[name]
    expected = nbformat.writes(nbformat.from_dict(nb), version=4) + "\n"

    assert serialize_notebook(nb) == expected.encode("utf-8")


def test_serialised_notebooks_are_indented_sorted_and_end_with_a_newline() -> None:
    data = serialize_notebook(GENERATED["bare.ipynb"])

    assert data.startswith(b'{\n "cells": [\n  {\n   "cell_type": "code",\n')
    assert data.endswith(b"}\n")


def test_the_fingerprint_describes_the_bytes_read(tmp_path: Path) -> None:
    path = corpus_path(tmp_path, "bare.ipynb")

    content = read_notebook(path)

    assert content.raw == path.read_bytes()
    assert content.fingerprint.size == len(content.raw)
    assert content.fingerprint.mtime_ns == path.stat().st_mtime_ns
    assert len(content.fingerprint.sha256) == 64


def test_an_old_notebook_gets_cell_ids_derived_from_the_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "old.ipynb", plain_v44())

    first, second = read_notebook(path).nb, read_notebook(path).nb

    ids = [cell["id"] for cell in first["cells"]]
    assert ids == [cell["id"] for cell in second["cells"]]
    assert len(set(ids)) == 3
    assert all(is_valid_cell_id(cell_id) and len(cell_id) == 8 for cell_id in ids)
    assert first["nbformat_minor"] == 5
    assert "orig_nbformat_minor" not in first["metadata"]
    nbformat.validate(first)


def test_ids_in_an_old_file_are_replaced_rather_than_refused(tmp_path: Path) -> None:
    data = plain_v44()
    data["cells"][0]["id"] = "stray"
    path = write_json(tmp_path / "old-with-id.ipynb", data)

    nb = read_notebook(path).nb

    assert nb["cells"][0]["id"] != "stray"
    nbformat.validate(nb)


def test_another_old_file_gets_other_ids(tmp_path: Path) -> None:
    one = read_notebook(write_json(tmp_path / "one.ipynb", plain_v44())).nb
    other = read_notebook(write_json(tmp_path / "other.ipynb", plain_v44(), indent=2)).nb

    assert one["cells"][0]["id"] != other["cells"][0]["id"]


def test_missing_and_repeated_ids_in_a_current_notebook_are_made_unique(tmp_path: Path) -> None:
    data = json.loads(serialize_notebook(GENERATED["long.ipynb"]))
    data["cells"][1]["id"] = data["cells"][0]["id"]
    del data["cells"][2]["id"]
    path = write_json(tmp_path / "dupes.ipynb", data)

    nb = read_notebook(path).nb

    ids = [cell["id"] for cell in nb["cells"]]
    assert ids[0] == data["cells"][0]["id"]
    assert len(set(ids)) == len(ids)
    assert read_notebook(path).nb == nb


def test_a_version_3_notebook_is_upgraded_with_derived_ids(tmp_path: Path) -> None:
    v3 = nbformat.v3.new_notebook(
        worksheets=[
            nbformat.v3.new_worksheet(
                cells=[
                    nbformat.v3.new_text_cell("markdown", source="# Old"),
                    nbformat.v3.new_code_cell(input="x = 1", prompt_number=1),
                ]
            )
        ]
    )
    path = tmp_path / "v3.ipynb"
    path.write_text(nbformat.writes(v3, version=3))

    nb = read_notebook(path).nb

    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    assert [cell["source"] for cell in nb["cells"]] == ["# Old", "x = 1"]
    assert nb == read_notebook(path).nb
    assert "orig_nbformat" not in nb["metadata"]


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.ipynb"
    path.write_bytes(b"\xef\xbb\xbf" + serialize_notebook(new_notebook()))

    assert read_notebook(path).nb == new_notebook()


def test_a_missing_file_is_reported_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match=r"nope\.ipynb: no such notebook; check the path"):
        read_notebook(tmp_path / "nope.ipynb")


def test_a_directory_is_not_a_notebook(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="is a directory"):
        read_notebook(tmp_path)


def test_invalid_json_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{\n "cells": [],\n "metadata": {,\n}')

    with pytest.raises(NotebookError, match=r"broken\.ipynb: invalid JSON at line 3 column 15"):
        read_notebook(path)


def test_bytes_that_are_not_utf8_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.ipynb"
    path.write_bytes(b'{"x": "caf\xe9"}')

    with pytest.raises(NotebookError, match="not UTF-8"):
        read_notebook(path)


@pytest.mark.parametrize("data", [[1, 2], {"cells": []}, {"nbformat": "4"}])
def test_json_that_is_not_a_notebook_is_reported(tmp_path: Path, data: object) -> None:
    path = write_json(tmp_path / "data.ipynb", data)

    with pytest.raises(NotebookError, match="not a Jupyter notebook"):
        read_notebook(path)


def test_an_unknown_format_version_is_reported(tmp_path: Path) -> None:
    path = write_json(tmp_path / "future.ipynb", {"nbformat": 99, "nbformat_minor": 0})

    with pytest.raises(NotebookError, match=r"nbformat 99\.0 is not supported"):
        read_notebook(path)


def test_a_schema_error_names_the_part_that_is_wrong(tmp_path: Path) -> None:
    data = json.loads(serialize_notebook(GENERATED["everything.ipynb"]))
    del data["cells"][2]["outputs"][1]["name"]
    path = write_json(tmp_path / "invalid.ipynb", data)

    with pytest.raises(NotebookError, match=r"invalid\.ipynb: not a valid notebook: cells\[2\]"):
        read_notebook(path)


def test_an_old_notebook_with_a_schema_error_is_reported_too(tmp_path: Path) -> None:
    data = plain_v44()
    data["cells"][1]["cell_type"] = "spreadsheet"
    path = write_json(tmp_path / "old-invalid.ipynb", data)

    with pytest.raises(NotebookError, match=r"not a valid notebook: cells\[1\]"):
        read_notebook(path)


def test_serialising_leaves_out_an_output_nbformat_refuses() -> None:
    nb = new_notebook()
    stream = {"output_type": "stream", "name": "stdout", "text": "1\n"}
    nb["cells"][0]["outputs"] = [{"output_type": "nonsense"}, stream]

    written = json.loads(serialize_notebook(nb))

    assert [o["output_type"] for o in written["cells"][0]["outputs"]] == ["stream"]


def test_serialising_a_notebook_that_cannot_be_fitted_is_refused() -> None:
    nb = new_notebook()
    nb["cells"][0]["cell_type"] = "nonsense"

    with pytest.raises(NotebookError, match=r"cells\[0\]"):
        serialize_notebook(nb)


def test_serialising_repeated_ids_is_refused() -> None:
    nb = new_notebook()
    nb["cells"].append(dict(nb["cells"][0]))

    with pytest.raises(NotebookError, match="repeats the id"):
        serialize_notebook(nb)


def test_a_new_notebook_is_valid_with_one_empty_code_cell() -> None:
    nb = new_notebook()

    nbformat.validate(nb)
    assert [cell["cell_type"] for cell in nb["cells"]] == ["code"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert new_notebook() == nb


def test_structured_data_under_a_mime_type_the_schema_takes_as_text_is_saved_as_json_text() -> None:
    # altair 6 names its output `application/vnd.vegalite.v6.json` (not `+json`): nbformat's
    # schema wants text there, and the notebook must still save, its chart kept.
    nb = new_notebook()
    spec = {"mark": {"type": "point"}, "data": {"values": [{"x": 1}]}}
    output = {"output_type": "display_data", "metadata": {},
              "data": {"application/vnd.vegalite.v6.json": spec, "application/json": {"a": 1},
                       "text/plain": "<chart>"}}  # fmt: skip
    nb["cells"] = [{"id": "c1", "cell_type": "code", "metadata": {}, "source": "chart",
                    "execution_count": 1, "outputs": [output]}]  # fmt: skip
    saved = json.loads(serialize_notebook(nb))
    data = saved["cells"][0]["outputs"][0]["data"]
    assert json.loads(data["application/vnd.vegalite.v6.json"]) == spec
    assert data["application/json"] == {"a": 1}
    assert nb["cells"][0]["outputs"][0]["data"]["application/vnd.vegalite.v6.json"] is spec


def _strict(text: bytes) -> object:
    def refuse(token: str) -> object:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_nan_and_infinity_are_written_as_null_as_browsers_write_them() -> None:
    nb = new_notebook()
    nb["metadata"]["pairbook_test"] = {"nan": float("nan"), "list": [float("inf"), 1.5]}
    nb["metadata"]["words"] = "NaN and -Infinity stay text"
    nb["cells"][0]["metadata"]["neg"] = float("-inf")
    written = _strict(serialize_notebook(nb))  # every JSON parser reads it, not only Python's
    assert isinstance(written, dict)
    assert written["metadata"]["pairbook_test"] == {"nan": None, "list": [None, 1.5]}
    assert written["metadata"]["words"] == "NaN and -Infinity stay text"
    assert written["cells"][0]["metadata"]["neg"] is None


def test_a_notebook_with_only_the_words_nan_and_infinity_is_written_as_is() -> None:
    nb = new_notebook()
    nb["cells"][0]["source"] = "x = float('NaN') or Infinity"
    assert serialize_notebook(nb) == (nbformat.v4.writes(nbformat.from_dict(nb)) + "\n").encode()
