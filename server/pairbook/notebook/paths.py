"""Which notebooks a served root holds, and the guard between a room name and a file."""

from __future__ import annotations

import os
from pathlib import Path, PureWindowsPath

from pairbook.errors import NotebookError

SUFFIX = ".ipynb"
SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__", ".ipynb_checkpoints"})
NAME_MAX = 255  # bytes of one file name (Linux, macOS)
PATH_MAX = 4000  # bytes of a whole relative path (under Linux's 4096 with the root)


def list_notebooks(root: Path) -> list[str]:
    """Relative posix paths of the .ipynb files under `root`, sorted.

    Hidden files and directories, checkpoints and node_modules are skipped; symlinked
    directories are not followed (what they hold inside the root is listed at its real
    place) and a symlinked file is listed only if it resolves to an .ipynb inside the root:
    exactly the names `resolve_notebook_path` accepts.
    """
    real_root = _real_root(root)
    found: list[str] = []
    for directory, subdirectories, files in os.walk(real_root):
        subdirectories[:] = [
            name
            for name in subdirectories
            if not name.startswith(".") and name not in SKIPPED_DIRECTORIES
        ]
        for name in files:
            if name.startswith(".") or not name.endswith(SUFFIX):
                continue
            path = Path(directory, name)
            if path.is_symlink():
                try:
                    target = path.resolve()
                except (OSError, RuntimeError):  # RuntimeError: a symlink loop
                    continue
                inside = target.is_relative_to(real_root) and not _hidden(target, real_root)
                if not inside or target.suffix != SUFFIX or not target.is_file():
                    continue
            elif not path.is_file():
                continue
            found.append(path.relative_to(real_root).as_posix())
    return sorted(found)


def resolve_notebook_path(root: Path, relpath: str) -> Path:
    """The real path of the notebook `relpath` names under `root`; it need not exist yet.

    Rejects, with NotebookError, what could reach outside the root or is not a notebook:
    absolute paths, '..', empty or hidden components, backslashes, NUL, names not ending in
    .ipynb, and symlinks that lead outside the root. Two names of one file (through a
    symlink) resolve to the same path.
    """
    shown = repr(relpath if len(relpath) <= 80 else relpath[:77] + "...")
    parts = _checked_parts(relpath, shown)
    real_root = _real_root(root)
    try:
        real = real_root.joinpath(*parts).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise NotebookError(f"notebook path {shown} cannot be resolved ({exc})") from exc
    if not real.is_relative_to(real_root):
        raise NotebookError(
            f"notebook path {shown} leads outside the served folder through a symlink"
        )
    if _hidden(real, real_root):  # checked on the real path: a symlink may lead into one
        raise NotebookError(f"notebook path {shown} leads into a hidden file or folder")
    if real.suffix != SUFFIX:
        raise NotebookError(f"notebook path {shown} is a symlink to a file that is not .ipynb")
    _check_on_disk(real, real_root, shown)
    return real


def _checked_parts(relpath: str, shown: str) -> list[str]:
    """The components of a notebook path, refused (NotebookError) unless plain and safe."""
    try:
        encoded = relpath.encode("utf-8")
    except UnicodeEncodeError:
        raise NotebookError(
            f"notebook path {shown} is not valid Unicode (a lone surrogate); rename it"
        ) from None
    if len(encoded) > PATH_MAX or any(len(p.encode()) > NAME_MAX for p in relpath.split("/")):
        raise NotebookError(
            f"notebook path {shown} is too long: at most {NAME_MAX} bytes a name and "
            f"{PATH_MAX} in all"
        )
    if not relpath or "\x00" in relpath or "\\" in relpath:
        raise NotebookError(f"notebook path {shown} is empty or holds '\\' or NUL; use '/'")
    if relpath.startswith("/") or PureWindowsPath(relpath).drive:
        raise NotebookError(
            f"notebook path {shown} is absolute; give it relative to the served folder"
        )
    parts = relpath.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise NotebookError(
            f"notebook path {shown} has an empty, '.' or '..' component; "
            "give a plain path inside the served folder"
        )
    if any(part.startswith(".") for part in parts):
        raise NotebookError(f"notebook path {shown} goes through a hidden file or folder")
    if not parts[-1].endswith(SUFFIX) or parts[-1] == SUFFIX:
        raise NotebookError(f"notebook path {shown} does not name an .ipynb file")
    return parts


def _check_on_disk(real: Path, real_root: Path, shown: str) -> None:
    """Refuse a path whose folders are files, or that is something other than a file."""
    try:
        for folder in real.relative_to(real_root).parents:
            where = real_root / folder
            if where.exists() and not where.is_dir():
                raise NotebookError(
                    f"notebook path {shown} uses the file {folder.as_posix()!r} as a folder"
                )
        if real.exists() and not real.is_file():
            raise NotebookError(f"notebook path {shown} is not a regular file")
    except OSError as exc:
        raise NotebookError(f"notebook path {shown} cannot be used ({exc.strerror})") from exc


def room_name_of(root: Path, relpath: str) -> str:
    """The name of the room `relpath` opens: the notebook's real path relative to the real
    root, so that two names of one file (a symlink) are one room, never two that overwrite
    each other's edits. Raises NotebookError as `resolve_notebook_path` does."""
    return resolve_notebook_path(root, relpath).relative_to(_real_root(root)).as_posix()


def _hidden(real: Path, real_root: Path) -> bool:
    """Whether a resolved path inside the root goes through a hidden name (`.pairbook`)."""
    return any(part.startswith(".") for part in real.relative_to(real_root).parts)


def _real_root(root: Path) -> Path:
    try:
        real = root.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise NotebookError(f"served folder {root} does not exist; check the path") from exc
    if not real.is_dir():
        raise NotebookError(f"served folder {root} is not a directory")
    return real
