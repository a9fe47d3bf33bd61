"""Committing a notebook (and its readable `.py` export) to the git repository it lives in."""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pairbook.errors import NotebookError, PairbookError
from pairbook.notebook import read_notebook, serialize_notebook
from pairbook.notebook.fileform import without_outputs
from pairbook.notebook.twin import twin_path_of, twin_refusal


class CommitError(PairbookError):
    """The notebook cannot be committed: no git, not in a repository, nothing changed."""


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    files: tuple[Path, ...]


def files_to_commit(notebook: Path) -> tuple[Path, ...]:
    """The notebook, and its `.py` twin (or the `.py` beside it) if there is one."""
    twin = _twin_of(notebook)
    return (notebook, twin) if twin is not None and twin.is_file() else (notebook,)


def _twin_of(notebook: Path) -> Path | None:
    try:
        nb = read_notebook(notebook).nb
    except NotebookError:
        return notebook.with_suffix(".py")
    twin = twin_path_of(notebook, nb.get("metadata") or {}, default=True)
    # A pairing naming another file (another notebook's twin, a module) is not committed.
    return None if twin is None or twin_refusal(notebook, twin) is not None else twin


def commit_notebook(
    notebook: Path, message: str, *, strip_outputs: bool = False, git: str = "git"
) -> Commit:
    """Commit exactly the notebook's files with `message`; other staged changes are left as
    they are. `strip_outputs` commits the notebook without outputs and execution counts
    (the file on disk keeps them). Raises CommitError saying what to do when it cannot."""
    notebook = notebook.resolve()
    if not notebook.is_file():
        raise CommitError(f"{notebook} does not exist; pass the path of a notebook file")
    cwd = notebook.parent
    top = Path(_git(git, cwd, "rev-parse", "--show-toplevel").strip())
    files = files_to_commit(notebook)
    relative = [_inside(f, top.resolve()) for f in files]
    if strip_outputs:
        return _commit_stripped(git, top, files, relative, message)
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


def _inside(file: Path, top: Path) -> str:
    """`file`'s path in the repository at `top`; CommitError if it lies elsewhere (a twin's
    pairing is notebook metadata any editor can change: it must not lead out)."""
    place = file.parent.resolve() / file.name
    if not place.is_relative_to(top):
        raise CommitError(
            f"{file} is outside the repository at {top}: the notebook's "
            "metadata.jupytext.formats pairs it there; fix the pairing, then commit again"
        )
    return str(place.relative_to(top))


def _commit_stripped(
    git: str, top: Path, files: tuple[Path, ...], relative: list[str], message: str
) -> Commit:
    """Commit the notebook without outputs through an index of pairbook's own, so that
    neither the file on disk nor what else is staged changes; the real index then holds
    what was committed."""
    blobs = []
    for file, name in zip(files, relative, strict=True):
        data = file.read_bytes()
        if file.suffix == ".ipynb":
            data = _without_outputs(file)
        blob = _git(git, top, "hash-object", "-w", "--stdin", stdin_bytes=data).strip()
        mode = "100755" if os.access(file, os.X_OK) else "100644"
        blobs.append(f"{mode},{blob},{name}")
    head = _head(git, top)
    git_dir = Path(_git(git, top, "rev-parse", "--absolute-git-dir").strip())
    index = git_dir / f"pairbook-index-{secrets.token_hex(4)}"
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}
    try:
        _git(git, top, "read-tree", *([head] if head else ["--empty"]), env=env)
        for info in blobs:
            _git(git, top, "update-index", "--add", "--cacheinfo", info, env=env)
        tree = _git(git, top, "write-tree", env=env).strip()
    finally:
        index.unlink(missing_ok=True)
    if head and tree == _git(git, top, "rev-parse", f"{head}^{{tree}}").strip():
        raise CommitError(
            f"nothing to commit: {', '.join(relative)} unchanged since the last commit "
            "(outputs and execution counts left out)"
        )
    parents = ["-p", head] if head else []
    sha = _git(git, top, "commit-tree", tree, *parents, "-F", "-", stdin=message).strip()
    _git(git, top, "update-ref", "-m", "pairbook commit", "HEAD", sha, *([head] if head else []))
    for info in blobs:
        _git(git, top, "update-index", "--add", "--cacheinfo", info)
    return Commit(sha, files)


def _without_outputs(notebook: Path) -> bytes:
    try:
        nb = read_notebook(notebook).nb
    except NotebookError as exc:
        raise CommitError(f"cannot strip the outputs of {notebook.name}: {exc}") from exc
    return serialize_notebook(without_outputs(nb))


def _head(git: str, top: Path) -> str | None:
    done = subprocess.run(
        [git, "rev-parse", "--verify", "--quiet", "HEAD"],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def last_commit_time(path: Path, *, git: str = "git") -> float | None:
    """When the file was last committed (seconds since the epoch), or None."""
    try:
        stamp = _git(git, path.parent, "log", "-1", "--format=%ct", "--", path.name).strip()
    except CommitError:
        return None
    return float(stamp) if stamp else None


def _git(
    git: str,
    cwd: Path,
    *args: str,
    stdin: str | None = None,
    stdin_bytes: bytes | None = None,
    env: dict[str, str] | None = None,
) -> str:
    data = stdin_bytes if stdin is None else stdin.encode()
    try:
        done = subprocess.run(
            [git, *args], cwd=cwd, input=data, capture_output=True, env=env, check=False
        )
    except FileNotFoundError as exc:
        raise CommitError(f"{git!r} is not installed; install git to commit notebooks") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit code {done.returncode}"
        if args[:1] == ("rev-parse",) and "not a git repository" in reason:
            raise CommitError(f"{cwd} is not in a git repository; run `git init` there first")
        raise CommitError(f"git {args[0]} failed: {reason}")
    return done.stdout.decode(errors="replace")
