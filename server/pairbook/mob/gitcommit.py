"""Committing a notebook (and its readable `.py` export) to the git repository it lives in."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pairbook.errors import PairbookError


class CommitError(PairbookError):
    """The notebook cannot be committed: no git, not in a repository, nothing changed."""


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    files: tuple[Path, ...]


def files_to_commit(notebook: Path) -> tuple[Path, ...]:
    """The notebook, and its `.py` export beside it if there is one."""
    export = notebook.with_suffix(".py")
    return (notebook, export) if export.is_file() else (notebook,)


def commit_notebook(notebook: Path, message: str, *, git: str = "git") -> Commit:
    """Commit exactly the notebook's files with `message`; other staged changes are left as
    they are. Raises CommitError saying what to do when it cannot."""
    notebook = notebook.resolve()
    if not notebook.is_file():
        raise CommitError(f"{notebook} does not exist; pass the path of a notebook file")
    cwd = notebook.parent
    top = Path(_git(git, cwd, "rev-parse", "--show-toplevel").strip())
    files = files_to_commit(notebook)
    relative = [str(f.relative_to(top.resolve())) for f in files]
    _git(git, top, "add", "--", *relative)
    changed = subprocess.run(
        [git, "diff", "--cached", "--quiet", "--", *relative], cwd=top, check=False
    )
    if changed.returncode == 0:
        raise CommitError(
            f"nothing to commit: {', '.join(relative)} unchanged since the last commit"
        )
    _git(git, top, "commit", "--quiet", "--file=-", "--", *relative, stdin=message)
    sha = _git(git, top, "rev-parse", "HEAD").strip()
    return Commit(sha, files)


def last_commit_time(path: Path, *, git: str = "git") -> float | None:
    """When the file was last committed (seconds since the epoch), or None."""
    try:
        stamp = _git(git, path.parent, "log", "-1", "--format=%ct", "--", path.name).strip()
    except CommitError:
        return None
    return float(stamp) if stamp else None


def _git(git: str, cwd: Path, *args: str, stdin: str | None = None) -> str:
    try:
        done = subprocess.run(
            [git, *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise CommitError(f"{git!r} is not installed; install git to commit notebooks") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit code {done.returncode}"
        if args[:1] == ("rev-parse",) and "not a git repository" in reason:
            raise CommitError(f"{cwd} is not in a git repository; run `git init` there first")
        raise CommitError(f"git {args[0]} failed: {reason}")
    return done.stdout
