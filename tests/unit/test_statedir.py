"""StateDir: the one place that names the paths under a served folder's `.pairbook/`."""

from __future__ import annotations

import stat
from pathlib import Path

from pairbook.statedir import StateDir


def test_paths_are_under_dot_pairbook(tmp_path: Path) -> None:
    state = StateDir.of(tmp_path)
    assert state.path == tmp_path / ".pairbook"
    assert state.root == tmp_path
    assert state.db == tmp_path / ".pairbook" / "pairbook.sqlite"
    assert state.tokens == tmp_path / ".pairbook" / "tokens.json"
    assert state.server_url == tmp_path / ".pairbook" / "server-url"
    assert state.legacy_owner_token == tmp_path / ".pairbook" / "owner-token"


def test_naming_it_creates_nothing(tmp_path: Path) -> None:
    state = StateDir.of(tmp_path)
    assert not state.exists()
    assert list(tmp_path.iterdir()) == []


def test_create_makes_it_private_and_ignored_by_git(tmp_path: Path) -> None:
    state = StateDir.of(tmp_path)
    state.create()
    assert state.exists()
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o700
    assert state.gitignore.read_text().splitlines()[-1] == "*"
    state.gitignore.write_text("mine\n")
    state.create()  # again: an existing .gitignore is kept
    assert state.gitignore.read_text() == "mine\n"


def test_keep_private_tightens_what_an_older_version_left(tmp_path: Path) -> None:
    state = StateDir.of(tmp_path)
    state.path.mkdir(mode=0o755)
    state.tokens.write_text("{}")
    state.tokens.chmod(0o644)
    (state.path / "sub").mkdir(mode=0o755)
    state.keep_private()
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o700
    assert stat.S_IMODE(state.tokens.stat().st_mode) == 0o600
    assert stat.S_IMODE((state.path / "sub").stat().st_mode) == 0o700


def test_find_walks_up_to_the_served_folder(tmp_path: Path) -> None:
    StateDir.of(tmp_path).create()
    notebook = tmp_path / "a" / "b" / "n.ipynb"
    notebook.parent.mkdir(parents=True)
    found = StateDir.find(notebook)
    assert found is not None
    assert found.root == tmp_path


def test_find_without_a_served_folder_is_none(tmp_path: Path) -> None:
    assert StateDir.find(tmp_path / "n.ipynb") is None


def test_a_state_folder_elsewhere_is_the_served_folders(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "notebooks", tmp_path / "private" / "state"
    state = StateDir.of(root, elsewhere)
    assert (state.path, state.root) == (elsewhere, root)
    assert state.tokens == elsewhere / "tokens.json"
    assert state.db == elsewhere / "pairbook.sqlite"
    assert state.problem() is None
    state.create()  # its parents too
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o700
    assert not (root / ".pairbook").exists()


def test_a_state_folder_holding_the_served_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "notebooks"
    for holder in (root, tmp_path):
        problem = StateDir.of(root, holder).problem()
        assert problem is not None
        assert "holds the served folder" in problem
    assert StateDir.of(root).problem() is None
