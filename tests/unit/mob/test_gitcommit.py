"""Committing a notebook and its export into a real (temporary) git repository."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from pairbook.mob.gitcommit import CommitError, commit_notebook, last_commit_time


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "--quiet", "--initial-branch=main")
    git(tmp_path, "config", "user.name", "Tester")
    git(tmp_path, "config", "user.email", "tester@example.org")
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "a.ipynb").write_text("{}\n")
    return tmp_path


def test_the_notebook_and_its_export_are_committed_and_nothing_else(repo: Path) -> None:
    (repo / "nb" / "a.py").write_text("x = 1\n")
    (repo / "other.txt").write_text("staged, not ours\n")
    git(repo, "add", "other.txt")
    assert last_commit_time(repo / "nb" / "a.ipynb") is None
    done = commit_notebook(repo / "nb" / "a.ipynb", "Subject\n\nCo-authored-by: A <a@x.org>\n")
    assert git(repo, "rev-parse", "HEAD").strip() == done.sha
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "nb/a.ipynb",
        "nb/a.py",
    ]
    assert "Co-authored-by: A <a@x.org>" in git(repo, "log", "-1", "--format=%(trailers)")
    assert git(repo, "diff", "--cached", "--name-only").split() == ["other.txt"]
    assert last_commit_time(repo / "nb" / "a.ipynb") is not None


def test_an_unchanged_notebook_or_no_repository_is_a_clear_error(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    commit_notebook(repo / "nb" / "a.ipynb", "First\n")
    with pytest.raises(CommitError, match="nothing to commit"):
        commit_notebook(repo / "nb" / "a.ipynb", "Again\n")
    elsewhere = tmp_path_factory.mktemp("plain") / "b.ipynb"
    elsewhere.write_text("{}\n")
    with pytest.raises(CommitError, match="git init"):
        commit_notebook(elsewhere, "No repo\n")


def test_a_twin_paired_outside_the_repository_is_a_clear_error_and_nothing_is_committed(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The pairing is notebook metadata any editor can change: one leading out of the
    repository must not reach git (it was a ValueError traceback)."""
    outside = tmp_path_factory.mktemp("outside")
    (outside / "a.py").write_text("secret = 1\n")
    prefix = os.path.relpath(outside, repo / "nb")
    nb = {"nbformat": 4, "nbformat_minor": 5, "cells": [],
          "metadata": {"jupytext": {"formats": f"ipynb,{prefix}//py:percent"}}}  # fmt: skip
    (repo / "nb" / "a.ipynb").write_text(json.dumps(nb))
    with pytest.raises(CommitError, match="outside the repository"):
        commit_notebook(repo / "nb" / "a.ipynb", "Subject\n")
    assert git(repo, "log", "--oneline", "--all") == ""
