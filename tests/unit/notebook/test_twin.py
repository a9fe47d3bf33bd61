"""The .py twin: jupytext's pairing, paths kept inside the served folder, and the cell-wise
three-way merge of a twin edited on disk into the room's notebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pairbook.errors import NotebookError
from pairbook.notebook import file as file_module
from pairbook.notebook.twin import (
    check_twin_path,
    notebook_to_twin,
    source_size,
    twin_format_of,
    twin_path_of,
    twin_refusal,
    twin_to_cells,
)
from pairbook.notebook.twinfile import MAX_TWIN_BYTES, TwinFile
from pairbook.notebook.twinmerge import base_of, merge_twin
from support.interleave import once_after
from support.notebooks import write_notebook


def notebook(*sources: str) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "code",
            "id": f"c{index}",
            "metadata": {"pairbook": {"last_run": {"user": {"name": "Ana"}}}},
            "source": source,
            "outputs": [],
            "execution_count": None,
        }
        for index, source in enumerate(sources)
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_a_notebook_without_a_pairing_follows_the_default_and_its_own_switch_wins() -> None:
    assert twin_format_of({}, default=True) == "py:percent"
    assert twin_format_of({}, default=False) is None
    assert twin_format_of({"jupytext": {"formats": "ipynb"}}, default=True) is None
    on = {"jupytext": {"formats": "ipynb,py:light"}}
    assert twin_format_of(on, default=False) == "py:light"
    r_notebook = {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}
    assert twin_format_of(r_notebook, default=True) is None  # a .py of R code: no


def test_the_twin_lives_where_jupytext_pairs_it(tmp_path: Path) -> None:
    notebook_path = tmp_path / "notebooks" / "demo.ipynb"
    assert twin_path_of(notebook_path, {}, default=True) == tmp_path / "notebooks" / "demo.py"
    elsewhere = {"jupytext": {"formats": "notebooks///ipynb,scripts///py:percent"}}
    assert twin_path_of(notebook_path, elsewhere, default=True) == tmp_path / "scripts/demo.py"
    assert twin_format_of(elsewhere, default=True) == "py:percent"  # the place is the path's


def test_no_default_twin_hides_a_module_the_kernel_imports(tmp_path: Path) -> None:
    # The kernel runs in the notebook's folder: a json.py or pytest.py beside json.ipynb or
    # pytest.ipynb would be what `import json` or `import pytest` finds there.
    for name in ("json", "pytest", "sys"):
        assert twin_path_of(tmp_path / f"{name}.ipynb", {}, default=True) is None
    assert twin_path_of(tmp_path / "sales-2024.ipynb", {}, default=True) == (
        tmp_path / "sales-2024.py"
    )
    assert twin_path_of(tmp_path / "my_analysis.ipynb", {}, default=True) is not None
    on = {"jupytext": {"formats": "ipynb,py:percent"}}  # asked for by name: it is made
    assert twin_path_of(tmp_path / "json.ipynb", on, default=True) == tmp_path / "json.py"


def test_a_pairing_that_leads_outside_the_served_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(NotebookError, match="outside the served folder"):
        check_twin_path(root, tmp_path / "a.py", root / "a.ipynb")
    with pytest.raises(NotebookError, match="hidden"):
        check_twin_path(root, root / ".pairbook" / "a.py", root / "a.ipynb")
    assert check_twin_path(root, root / "a.py", root / "a.ipynb") == root.resolve() / "a.py"


def test_a_pairing_may_only_name_this_notebooks_own_twin(tmp_path: Path) -> None:
    notebook = tmp_path / "notebooks" / "analysis.ipynb"

    def paired(formats: str) -> Path:
        path = twin_path_of(notebook, {"jupytext": {"formats": formats}}, default=True)
        assert path is not None
        return path

    for kept in (
        "ipynb,py:percent",
        "ipynb,.pct.py:percent",
        "ipynb,scripts//py",
        "notebooks///ipynb,scripts///py:percent",
        "ipynb,pct_/py",
        "ipynb,_x.py",
    ):
        assert twin_refusal(notebook, paired(kept)) is None, kept
    # Another name altogether (a module of the project), or one the stem only runs into.
    for other in (
        "analysis.ipynb,lib/helpers/py",
        "sis.ipynb,py",
        "ipynb,other/py",
        "sis.ipynb,lib/util_/py",
    ):
        refusal = twin_refusal(notebook, paired(other))
        assert "does not keep the notebook's name" in str(refusal), other
    # Another notebook's twin: a notebook of the same name sits beside the file.
    write_notebook(tmp_path / "scripts" / "analysis.ipynb")
    refusal = twin_refusal(notebook, paired("notebooks///ipynb,scripts///py:percent"))
    assert refusal == "twin analysis.py: is the twin of analysis.ipynb beside it; not written"
    write_notebook(notebook)
    assert twin_refusal(notebook, paired("ipynb,py:percent")) is None  # its own .ipynb


def test_a_pairing_may_not_name_the_prefix_or_suffix_form_twin_of_a_longer_notebook(
    tmp_path: Path,
) -> None:
    # a_b.pct.py keeps "a" (suffix "_b.pct") but is a_b.ipynb's percent twin beside it:
    # paired from a.ipynb, pairbook would write a's cells over it (and a_b's room would
    # merge them in). The shorter name's own twin stays its own.
    a, a_b = write_notebook(tmp_path / "a.ipynb"), write_notebook(tmp_path / "a_b.ipynb")
    refusal = twin_refusal(a, tmp_path / "a_b.pct.py")
    assert refusal == "twin a_b.pct.py: is the twin of a_b.ipynb beside it; not written"
    assert twin_refusal(a, tmp_path / "nb_a_b.py") is not None  # a prefix form of a_b's
    assert twin_refusal(a_b, tmp_path / "a_b.pct.py") is None
    assert twin_refusal(a, tmp_path / "a.pct.py") is None
    assert twin_refusal(a, tmp_path / "a_c.pct.py") is None  # no a_c.ipynb: a's suffix form
    # Another folder's notebook of the same name, its twin in a suffix form.
    write_notebook(tmp_path / "scripts" / "a.ipynb")
    refusal = twin_refusal(a, tmp_path / "scripts" / "a.pct.py")
    assert refusal == "twin a.pct.py: is the twin of a.ipynb beside it; not written"
    # A name of many separators lists the folder once and finds the same.
    many = "a_b" + "_x" * 40
    write_notebook(tmp_path / f"{many}.ipynb")
    assert twin_refusal(a, tmp_path / f"{many}.pct.py") == (
        f"twin {many}.pct.py: is the twin of {many}.ipynb beside it; not written"
    )
    assert twin_refusal(a, tmp_path / f"a{'-' * 40}.py") is None


def test_the_twin_holds_no_run_bookkeeping_and_reads_back_the_same_cells() -> None:
    nb = notebook("x = 1", "print(x)")
    text = notebook_to_twin(nb, "py:percent")
    assert "pairbook" not in text
    assert "last_run" not in text
    assert [c["source"] for c in twin_to_cells(text, "py:percent")] == ["x = 1", "print(x)"]


def merge(room: dict[str, Any], base_nb: dict[str, Any], *disk: str) -> Any:
    base = base_of(base_nb, twin_to_cells(notebook_to_twin(base_nb, "py:percent"), "py:percent"))
    cells = [{"cell_type": "code", "source": s, "metadata": {}} for s in disk]
    return merge_twin(base, cells, room)


def test_an_edit_in_the_twin_and_an_edit_in_the_room_both_survive() -> None:
    base = notebook("a = 1", "b = 2", "c = 3")
    room = notebook("a = 1  # room", "b = 2", "c = 3")
    merged = merge(room, base, "a = 1", "b = 20", "c = 3")
    assert merged.notebook is not None
    assert [c["source"] for c in merged.notebook["cells"]] == ["a = 1  # room", "b = 20", "c = 3"]
    assert merged.notebook["cells"][1]["id"] == "c1"  # the same cell, its outputs kept
    assert merged.notebook["cells"][1]["metadata"] == room["cells"][1]["metadata"]


def test_cells_added_and_deleted_in_the_twin_are_added_and_deleted_in_the_room() -> None:
    base = notebook("a = 1", "b = 2", "c = 3")
    merged = merge(notebook("a = 1", "b = 2", "c = 3"), base, "a = 1", "new = 0", "c = 3", "d")
    assert merged.notebook is not None
    cells = merged.notebook["cells"]
    assert [c["source"] for c in cells] == ["a = 1", "new = 0", "c = 3", "d"]
    assert [c["id"] for c in cells][::2] == ["c0", "c2"]
    assert len({c["id"] for c in cells}) == 4


def test_one_cell_changed_on_both_sides_is_a_conflict_and_nothing_is_merged() -> None:
    base = notebook("a = 1", "b = 2")
    merged = merge(notebook("a = 1", "b = 'room'"), base, "a = 10", "b = 'twin'")
    assert merged.notebook is None
    assert merged.conflicts == ["cell c1 was changed both in the .py and in the room"]


def test_a_cell_deleted_in_the_twin_but_changed_in_the_room_is_a_conflict() -> None:
    base = notebook("a = 1", "b = 2")
    merged = merge(notebook("a = 1", "b = 'room'"), base, "a = 1")
    assert merged.notebook is None


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    base = notebook("a = 1")
    merged = merge(notebook("a = 2"), base, "a = 2")
    assert merged.notebook is not None
    assert merged.changed == 0


def test_a_twin_replaced_by_a_symlink_is_neither_read_nor_written_through(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("keep me\n")
    twin = tmp_path / "demo.py"
    twin.symlink_to(secret)
    file = TwinFile(twin)
    with pytest.raises(NotebookError, match="not a regular file"):
        file.read()
    with pytest.raises(NotebookError, match="not a regular file"):
        file.write(b"# %%\nx = 1\n")
    assert secret.read_text() == "keep me\n"


def test_a_twin_is_written_atomically_and_keeps_its_mode(tmp_path: Path) -> None:
    twin = tmp_path / "demo.py"
    twin.write_text("old\n")
    twin.chmod(0o640)
    TwinFile(twin).write(b"new\n")
    assert twin.read_bytes() == b"new\n"
    assert twin.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.py"]
    assert TwinFile(tmp_path / "absent.py").read() is None


def test_a_new_twin_never_replaces_one_made_while_it_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    twin = tmp_path / "demo.py"
    # Someone saves demo.py after the write looked (no file), before it puts its own there.
    with once_after(
        monkeypatch, file_module, "_create_temporary", lambda: twin.write_text("theirs\n")
    ):
        assert not TwinFile(twin).write(b"# %%\nx = 1\n", over="")
    assert twin.read_text() == "theirs\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.py"]


def test_a_notebook_with_more_source_than_a_twin_is_kept_for_gets_a_clear_refusal() -> None:
    # jupytext reads and writes character by character: a 12 MB pasted line cost 18 s of
    # CPU at every save (and held Ctrl-C up). One character over the bound is refused.
    half = MAX_TWIN_BYTES // 2
    assert source_size(notebook("z" * half, "y" * (MAX_TWIN_BYTES - half))) == MAX_TWIN_BYTES
    with pytest.raises(NotebookError, match="MB of source, more than the"):
        notebook_to_twin(notebook("z" * half, "y" * (MAX_TWIN_BYTES - half + 1)), "py:percent")
    as_lines = notebook()
    as_lines["cells"] = [{**notebook("")["cells"][0], "source": ["z" * half] * 3}]
    with pytest.raises(NotebookError):
        notebook_to_twin(as_lines, "py:percent")


def test_a_twin_on_disk_over_the_bound_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    path.write_bytes(b"# %%\n" + b"z" * MAX_TWIN_BYTES)
    with pytest.raises(NotebookError, match="too large for a twin"):
        TwinFile(path).read()
    path.write_bytes(b"# %%\nx = 1\n")
    assert TwinFile(path).read() == b"# %%\nx = 1\n"
