"""TwinFile: one notebook's `.py` twin on disk, read and written without following symlinks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pairbook.errors import NotebookError
from pairbook.notebook.file import (
    _lstat_or_none,
    _pinned_directory,
    _read_at,
    _write_atomically,
    sha_of_bytes,
)

# A twin is kept for notebooks with up to this much source. jupytext reads and writes
# character by character in Python: about 0.5 s per MB written and 1.2 s per MB read for
# ordinary code, 1.5 s per MB for one long line (a pasted blob), in a thread that holds the
# GIL for most of it, so a 12 MB cell cost ~18 s of CPU at every save and held Ctrl-C up.
MAX_TWIN_BYTES = 2 * 1024 * 1024


class TwinFile:
    """Owns one twin file. Blocking file I/O: call it from a worker thread.

    As NotebookFile: the path is walked from `/` without following symlinks, so a kernel
    that replaces the twin by a symlink gets it refused, not followed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> bytes | None:
        """The file's bytes, or None when there is no such file (or folder) yet."""
        if not os.path.lexists(self.path.parent):
            return None
        with _pinned_directory(self.path) as directory:
            current = _lstat_or_none(self.path, directory)
            if current is None:
                return None
            if not stat.S_ISREG(current.st_mode):
                raise NotebookError(
                    f"{self.path}: is not a regular file (a symlink or a folder?); pairbook "
                    "neither reads nor writes it"
                )
            if current.st_size > MAX_TWIN_BYTES:
                raise NotebookError(
                    f"{self.path}: {current.st_size / 1e6:.1f} MB is too large for a twin "
                    f"(at most {MAX_TWIN_BYTES / 1e6:.1f} MB); pairbook neither reads nor "
                    "writes it"
                )
            return _read_at(self.path, directory)

    def stat_key(self) -> tuple[int, int, int] | None:
        """(mtime, size, inode) of the file, None when absent: cheap to compare each poll."""
        if not os.path.lexists(self.path.parent):
            return None
        with _pinned_directory(self.path) as directory:
            current = _lstat_or_none(self.path, directory)
        if current is None:
            return None
        return (current.st_mtime_ns, current.st_size, current.st_ino)

    def write(self, data: bytes, over: str | None = None) -> bool:
        """Replace the file by `data`, atomically, keeping its mode. A missing folder (a
        pairing such as `scripts///py:percent`) is made first, as jupytext does.

        With `over` (the SHA-256 of the bytes the file held when last read, "" for no file),
        the file is replaced only if it still holds them: False, nothing written, when an
        edit was saved since (it is read and merged, never written over). With "" the file
        is created exclusively: one made at any moment before is never replaced. Otherwise
        the check and the rename are a few system calls apart; an editor has no lock to take."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _pinned_directory(self.path) as directory:
            current = _lstat_or_none(self.path, directory)
            if current is not None and not stat.S_ISREG(current.st_mode):
                raise NotebookError(
                    f"{self.path}: is not a regular file (a symlink or a folder?); pairbook "
                    "does not write through it"
                )
            if over is not None and over != _sha_now(self.path, current, directory):
                return False
            mode = stat.S_IMODE(current.st_mode) if current is not None else None
            written = _write_atomically(self.path, data, mode, directory, exclusive=over == "")
        return written is not None


def _sha_now(path: Path, current: os.stat_result | None, directory: int) -> str | None:
    """The SHA-256 of the file's bytes ("" for none); None for one too large to be a twin."""
    if current is None:
        return ""
    if current.st_size > MAX_TWIN_BYTES:
        return None
    return sha_of_bytes(_read_at(path, directory))
