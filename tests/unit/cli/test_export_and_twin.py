"""`pairbook export` (py, ipynb-clean, html) and `pairbook twin` (the per-notebook switch)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pairbook.cli import main
from pairbook.notebook import NotebookFile
from pairbook.notebook.twin import twin_to_cells
from support.notebooks import write_notebook


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    path = write_notebook(tmp_path / "demo.ipynb")
    nb = json.loads(path.read_text())
    nb["cells"][1]["metadata"]["pairbook"] = {"last_run": {"user": {"name": "Ana"}}}
    nb["metadata"]["pairbook"] = {"save_outputs": True}
    path.write_text(json.dumps(nb, indent=1) + "\n")
    return path


def test_export_to_py_writes_the_percent_format_without_bookkeeping(
    notebook: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.py"
    assert main(["export", str(notebook), "--to", "py", "-o", str(out)]) == 0
    text = out.read_text()
    assert "# %%" in text
    assert "pairbook" not in text
    sources = [c["source"] for c in twin_to_cells(text, "py:percent")]
    assert sources == ["# Test notebook", "x = 1\nprint(x)", "y = x + 1\ny"]


def test_export_to_clean_ipynb_drops_outputs_counts_and_pairbook_metadata(
    notebook: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clean.ipynb"
    assert main(["export", str(notebook), "--to", "ipynb-clean", "-o", str(out)]) == 0
    nb = json.loads(out.read_text())
    assert "pairbook" not in nb["metadata"]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["outputs"] for c in code] == [[], []]
    assert [c["execution_count"] for c in code] == [None, None]
    assert all("pairbook" not in c["metadata"] for c in nb["cells"])
    assert ["".join(c["source"]) for c in code] == ["x = 1\nprint(x)", "y = x + 1\ny"]


def test_export_to_html_renders_sources_and_outputs(
    notebook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(notebook), "--to", "html"]) == 0
    page = capsys.readouterr().out
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "print" in page
    assert "last_run" not in page


def test_export_refuses_to_overwrite_the_notebook_and_a_broken_one_is_a_clear_error(
    notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(notebook), "-o", str(notebook)]) != 0
    assert "the notebook itself" in capsys.readouterr().err
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert main(["export", str(broken)]) != 0
    assert "invalid JSON" in capsys.readouterr().err


def test_the_twin_switch_writes_jupytexts_pairing_and_keeps_the_rest(notebook: Path) -> None:
    before = json.loads(notebook.read_text())
    assert main(["twin", str(notebook), "off"]) == 0
    after = json.loads(notebook.read_text())
    assert after["metadata"]["jupytext"] == {"formats": "ipynb"}
    assert after["cells"] == before["cells"]  # outputs and bookkeeping as they were
    assert main(["twin", str(notebook), "on"]) == 0
    assert json.loads(notebook.read_text())["metadata"]["jupytext"]["formats"] == (
        "ipynb,py:percent"
    )
    assert main(["twin", str(notebook), "default"]) == 0
    assert "jupytext" not in json.loads(notebook.read_text())["metadata"]


def test_switching_on_keeps_an_existing_py_pairing(notebook: Path) -> None:
    nb = json.loads(notebook.read_text())
    nb["metadata"]["jupytext"] = {"formats": "ipynb,py:light"}
    notebook.write_text(json.dumps(nb))
    assert main(["twin", str(notebook), "on"]) == 0
    assert json.loads(notebook.read_text())["metadata"]["jupytext"]["formats"] == "ipynb,py:light"


def test_the_twin_switch_writes_nothing_over_an_edit_saved_while_it_works(
    notebook: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An autosave (or an editor) writing the notebook between the switch's read and its
    write: the switch used to write the notebook it read over it."""
    real = NotebookFile.load

    def load_then_edit(self: NotebookFile) -> Any:
        content = real(self)
        notebook.write_text(notebook.read_text().replace('"x = 1', '"x = 2'))
        return content

    monkeypatch.setattr(NotebookFile, "load", load_then_edit)
    assert main(["twin", str(notebook), "off"]) != 0
    assert "run it again" in capsys.readouterr().err
    text = notebook.read_text()
    assert '"x = 2' in text
    assert "jupytext" not in json.loads(text)["metadata"]
