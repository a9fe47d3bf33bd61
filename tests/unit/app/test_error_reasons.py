"""What a peer reads of an error names no place on the server's disk beyond the served folder."""

from __future__ import annotations

import os
from pathlib import Path

from pairbook.app.errors import reason_for, without_root
from pairbook.errors import HistoryError, NotebookError


def test_paths_under_the_served_folder_read_as_the_notebook_list_names_them(
    tmp_path: Path,
) -> None:
    root = tmp_path / "notebooks"
    root.mkdir()
    error = NotebookError(f"{root / 'sub' / 'a.ipynb'}: no such notebook; check the path")
    assert reason_for(error, root) == "sub/a.ipynb: no such notebook; check the path"
    assert reason_for(error) == str(error)  # the server's log keeps the whole path


def test_the_folder_itself_and_its_resolved_form_are_cut_too(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    os.symlink(real, link)
    message = f"{real / 'a.ipynb'}: cannot be written; check that {real} is writable"
    assert without_root(message, link) == (
        "a.ipynb: cannot be written; check that the served folder is writable"
    )


def test_a_reload_reason_keeps_its_prefix(tmp_path: Path) -> None:
    assert reason_for(HistoryError("gap"), tmp_path).startswith("reload: your copy")
