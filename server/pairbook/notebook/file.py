"""One .ipynb file on disk, written atomically and only when its bytes change."""

from __future__ import annotations

import contextlib
import enum
import errno
import hashlib
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pairbook.errors import NotebookError
from pairbook.notebook.fileform import FileForm
from pairbook.notebook.ipynb import (
    FileFingerprint,
    NotebookContent,
    inode_of,
    read_notebook_file,
    serialize_notebook,
)

STAT_TICK = 2_000_000_000
"""Nanoseconds of a file's mtime within which a same-size save may leave its stat as it was:
a clock tick on most Linux file systems, 2 s on FAT. A file modified this recently before a
look is read again on the next look instead of judged by its stat (see `within_tick`)."""


def within_tick(mtime_ns: int, now: int) -> bool:
    """Whether a file with this mtime, looked at `now` (wall clock, ns, taken before the
    stat), may still be saved with as many bytes and the same mtime: its stat then says
    nothing of its bytes on the next look."""
    return mtime_ns > now - STAT_TICK


class SaveStatus(enum.Enum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    EDITED = "edited"  # not written: the file no longer held the bytes `over` named


@dataclass(frozen=True)
class SaveResult:
    """What `NotebookFile.save` did, and the file's fingerprint afterwards (None for a
    file found edited and gone)."""

    status: SaveStatus
    fingerprint: FileFingerprint | None

    @property
    def written(self) -> bool:
        return self.status is SaveStatus.WRITTEN


class NotebookFile:
    """Owns one .ipynb file: loads it, saves it atomically, notices edits by others.

    Blocking file I/O: call it from a worker thread. A symlinked notebook stays a symlink;
    its target is what gets replaced.

    The real path is pinned when the object is made: every later read and write walks it
    component by component without following symlinks (O_NOFOLLOW from `/`). A kernel can
    write in its notebook's folder; if it replaces the notebook (or a folder on its path)
    by a symlink, the server refuses the file instead of reading or overwriting whatever
    the symlink points at.
    """

    def __init__(
        self, path: Path, *, max_bytes: int | None = None, form: FileForm | None = None
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes  # larger files are refused (NotebookSizeError)
        self.form = form or FileForm()  # what of the room's notebook the file holds
        self._real = Path(os.path.realpath(path))
        self._known: FileFingerprint | None = None
        # Whether `_known`'s mtime and size stand for its bytes: False when the file was
        # modified within STAT_TICK of the look that found it (see `within_tick`).
        self._stat_holds = False
        self.clock: Callable[[], int] = time.time_ns  # the wall clock file mtimes are set by

    @property
    def fingerprint(self) -> FileFingerprint | None:
        """The file as this object last loaded or saved it (None before either)."""
        return self._known

    def _remember(self, known: FileFingerprint, now: int) -> None:
        """The file as pairbook last read or wrote it, stat'd at or after `now`."""
        self._known = known
        self._stat_holds = not within_tick(known.mtime_ns, now)

    def load(self) -> NotebookContent:
        now = self.clock()
        with _pinned_directory(self._real) as directory:
            try:
                fd = os.open(self._real.name, os.O_RDONLY | _NOFOLLOW, dir_fd=directory)
            except FileNotFoundError:
                raise NotebookError(f"{self.path}: no such notebook; check the path") from None
            except OSError as exc:
                raise _refused(self.path, exc) from exc
            with os.fdopen(fd, "rb") as file:
                content = read_notebook_file(self.path, file, max_bytes=self.max_bytes)
        self._remember(content.fingerprint, now)
        return content

    def bytes_of(self, nb: dict[str, Any]) -> bytes:
        """The bytes `save(nb)` writes: `nb` in this file's form (see FileForm), serialised.

        Raises NotebookError for a notebook that nbformat would not validate.
        """
        return serialize_notebook(self.form.to_file(nb), name=str(self.path))

    def save(
        self,
        nb: dict[str, Any],
        over: str | None = None,
        placing: Callable[[FileFingerprint], None] | None = None,
    ) -> SaveResult:
        """Write `nb` (in this file's form) unless the file already holds these bytes.

        With `over` (the SHA-256 of the bytes the file held when last read, "" for no file),
        the file is replaced only if it still holds them: EDITED, nothing written, when an
        edit was saved since (it is read, never written over). With "" the file is created
        exclusively: one made at any moment before is never replaced. Otherwise the check and
        the rename are a few system calls apart; an editor has no lock to take.

        `placing` is told the file that is about to be renamed into place (its inode and
        sha), before the rename; if it raises, nothing is written.

        Refuses (NotebookError) a notebook that nbformat would not validate.
        """
        data = self.bytes_of(nb)
        target = self._real
        now = self.clock()
        with _pinned_directory(target) as directory:
            current = _lstat_or_none(target, directory)
            if current is not None and not stat.S_ISREG(current.st_mode):
                raise NotebookError(
                    f"{self.path}: is no longer a regular file (replaced by a symlink or a "
                    "folder?); pairbook does not write through it"
                )
            held = None  # the file's bytes, read only when needed
            if current is not None and (over is not None or current.st_size == len(data)):
                held = _read_at(target, directory)
            if current is not None and held == data:
                self._remember(FileFingerprint.of(data, current), now)
                return SaveResult(SaveStatus.UNCHANGED, self._known)
            if over is not None and over != sha_of_bytes(held):
                edited = None if current is None else FileFingerprint.of(held or b"", current)
                return SaveResult(SaveStatus.EDITED, edited)
            mode = stat.S_IMODE(current.st_mode) if current is not None else None
            written = _write_atomically(
                target, data, mode, directory, exclusive=over == "", placing=placing
            )
            if written is None:  # made since the look above, and left alone
                return SaveResult(SaveStatus.EDITED, _fingerprint_at(target, directory))
            self._remember(written, now)
        return SaveResult(SaveStatus.WRITTEN, self._known)

    def recognise(self, sha256: str) -> bool:
        """Whether the file holds exactly the bytes whose SHA-256 this is (as when pairbook
        last read or wrote it); if so, that is what it knows of the file from now on, as
        after `load`, without parsing it."""
        now = self.clock()
        try:
            with _pinned_directory(self._real) as directory:
                current = _lstat_or_none(self._real, directory)
                if current is None or not stat.S_ISREG(current.st_mode):
                    return False
                data = _read_at(self._real, directory)
        except NotebookError:
            return False
        if sha_of_bytes(data) != sha256:
            return False
        self._remember(FileFingerprint.of(data, current), now)
        return True

    def inode_now(self) -> tuple[int, int] | None:
        """The (device, inode) of the file now; None when it is gone or not a regular file."""
        try:
            with _pinned_directory(self._real) as directory:
                current = _lstat_or_none(self._real, directory)
        except NotebookError:
            return None
        if current is None or not stat.S_ISREG(current.st_mode):
            return None
        return inode_of(current)

    def changed_on_disk(self) -> bool:
        """Whether the file now differs from what this object last loaded or saved.

        True when nothing was loaded yet or the file is gone. A mere touch (new mtime, same
        bytes) is not a change. The file is read when its mtime or size changed, or when it
        was modified within STAT_TICK of the last look (a same-size save in that tick may
        have left both as they were).
        """
        known = self._known
        if known is None:
            return True
        now = self.clock()
        try:
            with _pinned_directory(self._real) as directory:
                current = _lstat_or_none(self._real, directory)
                if current is None or not stat.S_ISREG(current.st_mode):
                    return True  # gone, or replaced by a symlink: load() says why
                if self._stat_holds and known.stat_matches(current):
                    return False
                data = _read_at(self._real, directory)
        except NotebookError:
            return True
        if sha_of_bytes(data) != known.sha256:
            return True
        self._remember(FileFingerprint.of(data, current), now)
        return False


def sha_of_bytes(data: bytes | None) -> str:
    """The SHA-256 of a file's bytes, "" for no file."""
    return "" if data is None else hashlib.sha256(data).hexdigest()


_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _refused(path: Path, exc: OSError) -> NotebookError:
    if isinstance(exc, NotADirectoryError):
        return NotebookError(
            f"{path}: cannot be used ({exc.strerror}): a folder on its path is a file, or a "
            "symlink pairbook does not follow"
        )
    if exc.errno == errno.ELOOP:
        return NotebookError(
            f"{path}: it or a folder on its path was replaced by a symlink; pairbook does not "
            "follow it (put the notebook back as a plain file)"
        )
    return NotebookError(f"{path}: cannot be used ({exc.strerror}); check permissions")


@contextlib.contextmanager
def _pinned_directory(real: Path) -> Iterator[int]:
    """A descriptor of `real`'s folder, reached from `/` without following any symlink."""
    try:
        fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        raise _refused(real, exc) from exc
    try:
        for part in real.parent.parts[1:]:
            try:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                raise _refused(real, exc) from exc
            os.close(fd)
            fd = nxt
        yield fd
    finally:
        os.close(fd)


def _write_atomically(
    target: Path,
    data: bytes,
    mode: int | None,
    directory: int,
    *,
    exclusive: bool = False,
    placing: Callable[[FileFingerprint], None] | None = None,
) -> FileFingerprint | None:
    """Write a temporary file beside `target`, fsync it, tell `placing`, rename it over
    `target` (all in the pinned folder `directory`). `exclusive`: link it to `target`
    instead, which fails if a file is there by then; None, nothing written, in that case."""
    fd, temporary = _create_temporary(target, directory)
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
        # The rename or link keeps the inode, so the temporary file's stat is the target's.
        fingerprint = FileFingerprint(
            written.st_mtime_ns, len(data), sha_of_bytes(data), inode_of(written)
        )
        if placing is not None:
            placing(fingerprint)
        placed = _put_in_place(temporary, target.name, directory, exclusive)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=directory)
        if not isinstance(exc, OSError):
            raise
        raise NotebookError(
            f"{target}: cannot be written ({exc.strerror}); check that {target.parent} is "
            "writable and the disk is not full"
        ) from exc
    if not placed:
        return None
    with contextlib.suppress(OSError):
        os.fsync(directory)  # make the rename durable
    return fingerprint


_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP}


def _put_in_place(temporary: str, name: str, directory: int, exclusive: bool) -> bool:
    """Rename `temporary` to `name`; if `exclusive`, link it there (linkat fails with
    EEXIST when a file was made there since the caller's look, even a moment before) and
    remove the temporary name. False when that found a file there."""
    if exclusive:
        try:
            os.link(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
        except FileExistsError:
            os.unlink(temporary, dir_fd=directory)
            return False
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            # A file system without hard links (FAT, some network mounts): the caller's
            # look just before is all the exclusion there is.
        else:
            os.unlink(temporary, dir_fd=directory)
            return True
    os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
    return True


def _fingerprint_at(target: Path, directory: int) -> FileFingerprint | None:
    """The file at `target` as it is now (None if it is gone or not a regular file)."""
    current = _lstat_or_none(target, directory)
    if current is None or not stat.S_ISREG(current.st_mode):
        return None
    return FileFingerprint.of(_read_at(target, directory), current)


def _create_temporary(target: Path, directory: int) -> tuple[int, str]:
    # A hidden name that does not end in .ipynb, so listings never show it. Created with
    # 0o666 so that the umask gives a new notebook the same mode any editor would.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    for _attempt in range(100):
        temporary = f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(temporary, flags, 0o666, dir_fd=directory), temporary
        except FileExistsError:
            continue
        except OSError as exc:
            raise NotebookError(
                f"{target}: cannot create a file in {target.parent} ({exc.strerror}); "
                "check that the directory exists and is writable"
            ) from exc
    raise NotebookError(f"{target}: cannot find a free temporary name in {target.parent}")


def _lstat_or_none(target: Path, directory: int) -> os.stat_result | None:
    try:
        return os.stat(target.name, dir_fd=directory, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise NotebookError(
            f"{target}: cannot be examined ({exc.strerror}); check permissions"
        ) from exc


def _read_at(target: Path, directory: int) -> bytes:
    try:
        fd = os.open(target.name, os.O_RDONLY | _NOFOLLOW, dir_fd=directory)
    except OSError as exc:
        raise _refused(target, exc) from exc
    with os.fdopen(fd, "rb") as file:
        return file.read()
