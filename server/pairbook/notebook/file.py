"""One .ipynb file on disk, written atomically and only when its bytes change."""

from __future__ import annotations

import enum
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pairbook.errors import NotebookError
from pairbook.notebook.ipynb import (
    FileFingerprint,
    NotebookContent,
    read_notebook,
    serialize_notebook,
)


class SaveStatus(enum.Enum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class SaveResult:
    """What `NotebookFile.save` did, and the file's fingerprint afterwards."""

    status: SaveStatus
    fingerprint: FileFingerprint

    @property
    def written(self) -> bool:
        return self.status is SaveStatus.WRITTEN


class NotebookFile:
    """Owns one .ipynb file: loads it, saves it atomically, notices edits by others.

    Blocking file I/O: call it from a worker thread. A symlinked notebook stays a symlink;
    its target is what gets replaced.
    """

    def __init__(self, path: Path, *, max_bytes: int | None = None) -> None:
        self.path = path
        self.max_bytes = max_bytes  # larger files are refused (NotebookSizeError)
        self._known: FileFingerprint | None = None

    @property
    def fingerprint(self) -> FileFingerprint | None:
        """The file as this object last loaded or saved it (None before either)."""
        return self._known

    def load(self) -> NotebookContent:
        content = read_notebook(self.path, max_bytes=self.max_bytes)
        self._known = content.fingerprint
        return content

    def save(self, nb: dict[str, Any]) -> SaveResult:
        """Write `nb` unless the file already holds exactly these bytes.

        Refuses (NotebookError) a notebook that nbformat would not validate.
        """
        data = serialize_notebook(nb, name=str(self.path))
        target = Path(os.path.realpath(self.path))
        current = _stat_or_none(target)
        if current is not None and current.st_size == len(data) and _read(target) == data:
            self._known = FileFingerprint.of(data, current)
            return SaveResult(SaveStatus.UNCHANGED, self._known)
        mode = stat.S_IMODE(current.st_mode) if current is not None else None
        self._known = _write_atomically(target, data, mode)
        return SaveResult(SaveStatus.WRITTEN, self._known)

    def changed_on_disk(self) -> bool:
        """Whether the file now differs from what this object last loaded or saved.

        True when nothing was loaded yet or the file is gone. A mere touch (new mtime, same
        bytes) is not a change.
        """
        known = self._known
        if known is None:
            return True
        current = _stat_or_none(self.path)
        if current is None:
            return True
        if (current.st_mtime_ns, current.st_size) == (known.mtime_ns, known.size):
            return False
        try:
            data = _read(self.path)
        except NotebookError:
            return True
        if hashlib.sha256(data).hexdigest() != known.sha256:
            return True
        self._known = FileFingerprint.of(data, current)
        return False


def _write_atomically(target: Path, data: bytes, mode: int | None) -> FileFingerprint:
    """Write a temporary file beside `target`, fsync it, rename it over `target`."""
    directory = target.parent
    fd, temporary = _create_temporary(target)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            written = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise NotebookError(
            f"{target}: cannot be written ({exc.strerror}); check that {directory} is "
            "writable and the disk is not full"
        ) from exc
    _fsync_directory(directory)
    # os.replace keeps the inode, so the temporary file's stat is the target's.
    return FileFingerprint(written.st_mtime_ns, len(data), hashlib.sha256(data).hexdigest())


def _create_temporary(target: Path) -> tuple[int, Path]:
    # A hidden name that does not end in .ipynb, so listings never show it. Created with
    # 0o666 so that the umask gives a new notebook the same mode any editor would.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _attempt in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
        except OSError as exc:
            raise NotebookError(
                f"{target}: cannot create a file in {target.parent} ({exc.strerror}); "
                "check that the directory exists and is writable"
            ) from exc
    raise NotebookError(f"{target}: cannot find a free temporary name in {target.parent}")


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; some platforms cannot open a directory, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise NotebookError(
            f"{path}: cannot be examined ({exc.strerror}); check permissions"
        ) from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise NotebookError(f"{path}: cannot be read ({exc.strerror}); check permissions") from exc
