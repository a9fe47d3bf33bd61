"""One .ipynb file on disk: atomic saves, unchanged bytes left alone, edits by others noticed."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from pairbook.errors import NotebookError
from pairbook.notebook import NotebookFile, SaveStatus, new_notebook, serialize_notebook
from pairbook.notebook import file as file_module
from support.interleave import once_after

from .corpus import corpus_path

PAST = 1_000_000_000_000_000_000  # 2001, in nanoseconds: any write moves the mtime away


def loaded(tmp_path: Path, name: str = "everything.ipynb") -> NotebookFile:
    path = corpus_path(tmp_path, name)
    os.utime(path, ns=(PAST, PAST))
    file = NotebookFile(path)
    file.load()
    return file


def test_saving_unchanged_content_leaves_the_file_alone(tmp_path: Path) -> None:
    file = loaded(tmp_path)
    before = file.path.stat()

    result = file.save(file.load().nb)

    after = file.path.stat()
    assert result.status is SaveStatus.UNCHANGED
    assert not result.written
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_saving_a_change_replaces_the_file_atomically(tmp_path: Path) -> None:
    file = loaded(tmp_path)
    nb = copy.deepcopy(file.load().nb)
    nb["cells"][0]["source"] = "# Changed"
    before = file.path.stat()

    result = file.save(nb)

    assert result.written
    assert file.path.read_bytes() == serialize_notebook(nb)
    assert file.path.stat().st_ino != before.st_ino
    assert result.fingerprint == file.fingerprint
    assert result.fingerprint is not None
    assert result.fingerprint.mtime_ns == file.path.stat().st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["everything.ipynb"]
    assert not file.changed_on_disk()


def test_saving_keeps_the_file_mode(tmp_path: Path) -> None:
    file = loaded(tmp_path)
    file.path.chmod(0o640)
    nb = new_notebook()

    file.save(nb)

    assert file.path.stat().st_mode & 0o777 == 0o640


def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        file = NotebookFile(tmp_path / "new.ipynb")
        result = file.save(new_notebook())
    finally:
        os.umask(umask)

    assert result.written
    assert file.path.stat().st_mode & 0o777 == 0o644


def test_saving_through_a_symlink_keeps_the_symlink(tmp_path: Path) -> None:
    real = corpus_path(tmp_path, "bare.ipynb")
    link = tmp_path / "link.ipynb"
    link.symlink_to(real.name)

    NotebookFile(link).save(new_notebook())

    assert link.is_symlink()
    assert real.read_bytes() == serialize_notebook(new_notebook())


def test_an_invalid_notebook_is_never_written(tmp_path: Path) -> None:
    file = loaded(tmp_path)
    original = file.path.read_bytes()
    nb = copy.deepcopy(file.load().nb)
    del nb["cells"][1]["source"]

    with pytest.raises(NotebookError, match=r"everything\.ipynb: not a valid notebook: cells\[1\]"):
        file.save(nb)

    assert file.path.read_bytes() == original


def test_a_failed_write_is_a_notebook_error_naming_the_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    file = NotebookFile(tmp_path / "file" / "x.ipynb")

    with pytest.raises(NotebookError, match=r"x\.ipynb: cannot"):
        file.save(new_notebook())


def test_an_edit_by_another_program_is_noticed(tmp_path: Path) -> None:
    file = loaded(tmp_path)
    file.path.write_bytes(serialize_notebook(new_notebook()))

    assert file.changed_on_disk()


def test_a_file_renamed_over_with_the_same_size_and_mtime_is_noticed(tmp_path: Path) -> None:
    # What `rsync -t`, `cp -p` then `mv`, or an editor keeping times writes: another file,
    # same size and mtime as the one read.
    file = loaded(tmp_path)
    raw = file.path.read_bytes()
    other = tmp_path / "other.ipynb"
    edited = raw[:-1] + (b" " if raw[-1:] != b" " else b"\n")
    other.write_bytes(edited)
    os.utime(other, ns=(PAST, PAST))
    os.replace(other, file.path)

    assert file.changed_on_disk()


def test_a_touch_without_new_bytes_is_not_a_change(tmp_path: Path) -> None:
    file = loaded(tmp_path)
    os.utime(file.path)

    assert not file.changed_on_disk()
    assert not file.changed_on_disk()


def test_a_deleted_file_counts_as_changed(tmp_path: Path) -> None:
    file = loaded(tmp_path)
    file.path.unlink()

    assert file.changed_on_disk()


def test_a_file_never_loaded_counts_as_changed(tmp_path: Path) -> None:
    assert NotebookFile(corpus_path(tmp_path, "bare.ipynb")).changed_on_disk()


def test_loading_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="no such notebook"):
        NotebookFile(tmp_path / "gone.ipynb").load()


def test_a_save_over_the_bytes_read_leaves_an_edit_saved_since_alone(tmp_path: Path) -> None:
    file = loaded(tmp_path)
    known = file.fingerprint
    assert known is not None
    nb = copy.deepcopy(file.load().nb)
    nb["cells"][0]["source"] = "# From the room"
    edited = file.path.read_bytes().replace(b'"cells"', b'"cells" ', 1)
    file.path.write_bytes(edited)  # saved by someone else since the read

    result = file.save(nb, over=known.sha256)

    assert result.status is SaveStatus.EDITED
    assert not result.written
    assert file.path.read_bytes() == edited
    assert file.save(nb, over="").status is SaveStatus.EDITED  # "" is for no file
    file.path.unlink()
    gone = file.save(nb, over=known.sha256)
    assert (gone.status, gone.fingerprint) == (SaveStatus.EDITED, None)
    assert not file.path.exists()  # a file deleted since is not made again
    assert file.save(nb, over="").written


def test_a_save_over_the_bytes_still_there_writes(tmp_path: Path) -> None:
    file = loaded(tmp_path)
    nb = copy.deepcopy(file.load().nb)
    nb["cells"][0]["source"] = "# From the room"
    known = file.fingerprint
    assert known is not None

    assert file.save(nb, over=known.sha256).written
    assert file.path.read_bytes() == serialize_notebook(nb)
    assert file.save(nb, over="no longer there").status is SaveStatus.UNCHANGED


def test_a_new_file_never_replaces_one_made_while_it_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "race.ipynb"
    theirs = b'{"cells": [], "metadata": {"theirs": true}, "nbformat": 4, "nbformat_minor": 5}'
    # Someone saves race.ipynb after the save looked (no file), before it puts its own there.
    with once_after(
        monkeypatch, file_module, "_create_temporary", lambda: path.write_bytes(theirs)
    ):
        result = NotebookFile(path).save(new_notebook(), over="")

    assert result.status is SaveStatus.EDITED
    assert result.fingerprint is not None
    assert result.fingerprint.size == len(theirs)
    assert path.read_bytes() == theirs
    assert [p.name for p in tmp_path.iterdir()] == ["race.ipynb"]  # no temporary left
