"""A notebook's git history, read-only: the commits that touched it and its file at one.

For the review page: a reviewer picks a commit and sees the session's change since then.
Revisions come from a URL, so only plain names are let through (no options, no `rev:path`
that would read another file of the repository).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pairbook.errors import RequestError

REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/~^-]{0,199}")
"""A commit id, branch, tag or `HEAD~2`: never an option, a path or a range."""

_FORMAT = "%H%x00%h%x00%ct%x00%an%x00%s"


class GitHistoryError(RequestError):
    """A revision that is not a commit here, or a notebook outside any git repository."""


@dataclass(frozen=True, slots=True)
class GitCommit:
    sha: str
    short: str
    ts: float
    author: str
    subject: str

    def to_json(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "short": self.short,
            "ts": self.ts,
            "author": self.author,
            "subject": self.subject,
        }


def commits_of(notebook: Path, limit: int = 30, *, git: str = "git") -> list[GitCommit]:
    """The newest commits that changed the notebook, newest first ([] outside a repository)."""
    done = _git(
        git, notebook.parent, "log", f"-n{limit}", f"--format={_FORMAT}", "--", notebook.name
    )
    if done.returncode != 0:
        return []
    return [_parse(line) for line in done.stdout.splitlines() if line.count("\0") == 4]


def commit_of(notebook: Path, revision: str, *, git: str = "git") -> GitCommit:
    """The commit a revision names in the notebook's repository; GitHistoryError if none."""
    if not REVISION.fullmatch(revision) or ".." in revision:
        raise GitHistoryError(
            f"since={revision[:60]!r} is neither a time nor a git commit: pass a commit id, "
            "a branch or tag, or a time (seconds since the epoch, or ISO 8601)"
        )
    done = _git(
        git, notebook.parent, "log", "-1", f"--format={_FORMAT}", f"{revision}^{{commit}}", "--"
    )
    if done.returncode != 0 or done.stdout.count("\0") != 4:
        inside = _git(git, notebook.parent, "rev-parse", "--show-toplevel").returncode == 0
        if not inside:
            raise GitHistoryError(
                f"{notebook.name} is not in a git repository: review since a time instead"
            )
        raise GitHistoryError(f"{revision!r} is not a commit of this repository")
    return _parse(done.stdout.strip("\n"))


def notebook_at(
    notebook: Path, commit: GitCommit, max_bytes: int, *, git: str = "git"
) -> bytes | None:
    """The notebook file's bytes at a commit; None when the commit does not hold it."""
    name = f"{commit.sha}:./{notebook.name}"
    size = _git(git, notebook.parent, "cat-file", "-s", name)
    if size.returncode != 0:
        return None
    if int(size.stdout.strip() or 0) > max_bytes:
        raise GitHistoryError(
            f"{notebook.name} at {commit.short} is larger than this server opens "
            f"({max_bytes / 1e6:.1f} MB)"
        )
    done = subprocess.run(
        [git, "cat-file", "blob", name], cwd=notebook.parent, capture_output=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def _parse(line: str) -> GitCommit:
    sha, short, ts, author, subject = line.split("\0")
    return GitCommit(sha, short, float(ts), author, subject)


def _git(git: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [git, *args], cwd=cwd, capture_output=True, text=True, check=False, errors="replace"
        )
    except FileNotFoundError as exc:
        raise GitHistoryError(f"{git!r} is not installed: review since a time instead") from exc
