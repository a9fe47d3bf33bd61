"""Listing the notebooks of a served folder and guarding room names."""

from __future__ import annotations

from pathlib import Path

import pytest

from pairbook.errors import NotebookError
from pairbook.notebook import list_notebooks, resolve_notebook_path, room_name_of


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A served folder with notebooks, things to skip, and symlinks in and out of it."""
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.ipynb").write_text("{}")
    for name in [
        "a.ipynb",
        "sub/b.ipynb",
        "sub/deeper/c.ipynb",
        "notes.txt",
        ".hidden.ipynb",
        ".git/x.ipynb",
        ".ipynb_checkpoints/a-checkpoint.ipynb",
        "node_modules/pkg/d.ipynb",
        "sub/.ipynb_checkpoints/b-checkpoint.ipynb",
    ]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}")
    (root / "inside-link.ipynb").symlink_to(root / "sub" / "b.ipynb")
    (root / "escape.ipynb").symlink_to(outside / "secret.ipynb")
    (root / "escape-dir").symlink_to(outside)
    (root / "sub-link").symlink_to(root / "sub")
    (root / "broken.ipynb").symlink_to(root / "missing.ipynb")
    (root / "folder.ipynb").mkdir()
    (root / "text-link.ipynb").symlink_to(root / "notes.txt")
    (root / "loop.ipynb").symlink_to(root / "loop.ipynb")
    (root / "git-link").symlink_to(root / ".git")
    (root / "hidden-link.ipynb").symlink_to(root / ".hidden.ipynb")
    return root


def test_listing_finds_notebooks_and_skips_the_rest(served: Path) -> None:
    assert list_notebooks(served) == [
        "a.ipynb",
        "inside-link.ipynb",
        "sub/b.ipynb",
        "sub/deeper/c.ipynb",
    ]


def test_every_listed_notebook_resolves(served: Path) -> None:
    for relpath in list_notebooks(served):
        assert resolve_notebook_path(served, relpath).is_file()


def test_listing_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="does not exist"):
        list_notebooks(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        ("a.ipynb", "a.ipynb"),
        ("sub/deeper/c.ipynb", "sub/deeper/c.ipynb"),
        ("sub/not-yet.ipynb", "sub/not-yet.ipynb"),
        ("inside-link.ipynb", "sub/b.ipynb"),
        ("sub-link/b.ipynb", "sub/b.ipynb"),
    ],
)
def test_a_plain_path_resolves_to_the_real_file(served: Path, relpath: str, expected: str) -> None:
    assert resolve_notebook_path(served, relpath) == served.resolve() / expected


@pytest.mark.parametrize(
    "relpath",
    [
        "",
        "/etc/passwd.ipynb",
        "../outside/secret.ipynb",
        "sub/../../outside/secret.ipynb",
        "sub/./b.ipynb",
        "sub//b.ipynb",
        "sub\\b.ipynb",
        "C:/x.ipynb",
        "a.ipynb\x00",
        "notes.txt",
        ".ipynb",
        ".hidden.ipynb",
        ".git/x.ipynb",
        ".ipynb_checkpoints/a-checkpoint.ipynb",
        "escape.ipynb",
        "escape-dir/secret.ipynb",
        "text-link.ipynb",
        "folder.ipynb",
        "loop.ipynb",
        "git-link/x.ipynb",
        "hidden-link.ipynb",
        "n" * 300 + ".ipynb",
        "deep/" * 900 + "x.ipynb",
        "a.ipynb/inside.ipynb",
        "\ud800.ipynb",
    ],
)
def test_paths_that_could_leave_the_folder_or_are_not_notebooks_are_refused(
    served: Path, relpath: str
) -> None:
    with pytest.raises(NotebookError, match=r"notebook path"):
        resolve_notebook_path(served, relpath)


@pytest.mark.parametrize(
    ("relpath", "room"),
    [
        ("a.ipynb", "a.ipynb"),
        ("inside-link.ipynb", "sub/b.ipynb"),
        ("sub-link/b.ipynb", "sub/b.ipynb"),
        ("sub/deeper/c.ipynb", "sub/deeper/c.ipynb"),
        ("broken.ipynb", "missing.ipynb"),
    ],
)
def test_two_names_of_one_file_name_one_room(served: Path, relpath: str, room: str) -> None:
    assert room_name_of(served, relpath) == room


def test_a_name_leading_outside_names_no_room(served: Path) -> None:
    with pytest.raises(NotebookError, match="outside"):
        room_name_of(served, "escape.ipynb")
