"""git in a test's folder, committing as a test reviewer."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(root: Path, *args: str) -> str:
    """Run git in `root` as "Reviewer <r@example.org>"; its output, stripped. Fails on an
    error."""
    done = subprocess.run(
        ["git", "-c", "user.name=Reviewer", "-c", "user.email=r@example.org", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()
