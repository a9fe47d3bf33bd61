"""The processes sharing a broker serve one notebooks folder: checked at start.

A process serving a folder of its own (a volume not mounted, another machine's copy) reads
the notebook files as they are there: taking a room's files lease over, it would adopt its
stale copy and revert everyone's edits. The folder carries an id (`.pairbook-folder`, made
once by the first process to serve it); the processes of a broker agree on one, and a
process that finds another refuses to start.

The id is read without following a symlink and without waiting on a FIFO (whoever can write
the notebooks folder could put either there), and only from a small regular file. It is
made whole before it appears: written to a file of its own, then linked to its name, which
fails if another process made it first — so nobody ever reads a half-written id."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path

from pairbook.broker.port import Broker
from pairbook.errors import BrokerError

FOLDER_ID = ".pairbook-folder"
AGREED = "folder"
MAX_BYTES = 256
"""More than an id (32 hex digits and a newline) holds: not one pairbook wrote."""
_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def folder_id(root: Path) -> str:
    """The folder's id, made now if it has none (the first process that makes it wins).
    Raises BrokerError when `.pairbook-folder` is not a small regular file holding an id."""
    path = root / FOLDER_ID
    try:
        return _read_id(path)
    except FileNotFoundError:
        pass
    made = secrets.token_hex(16)
    if _link_new(root, path, made):
        return made
    return _read_id(path)  # another process made it meanwhile: theirs counts


def _read_id(path: Path) -> str:
    """The id in `path`; FileNotFoundError when there is none."""
    try:
        fd = os.open(path, _READ)
    except FileNotFoundError:
        raise
    except OSError as exc:  # a symlink (ELOOP), or unreadable
        why = f"it cannot be opened as a file ({exc.strerror})"
        raise BrokerError(_unusable(path, why)) from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise BrokerError(_unusable(path, "it is not a regular file"))
        if info.st_size > MAX_BYTES:
            raise BrokerError(_unusable(path, f"it is larger than {MAX_BYTES} bytes"))
        data = file.read(MAX_BYTES + 1)
    text = data.decode("ascii", errors="replace").strip()
    if len(data) > MAX_BYTES or not _ID.fullmatch(text):
        raise BrokerError(_unusable(path, "it holds no folder id"))
    return text


def _link_new(root: Path, path: Path, made: str) -> bool:
    """Make `path` hold `made`, whole, unless it exists; whether this call made it."""
    temporary = root / f"{FOLDER_ID}.{secrets.token_hex(6)}.new"
    fd = os.open(temporary, _CREATE, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(made + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path, follow_symlinks=False)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: exclusive create, then write
            return _create_new(path, made)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _create_new(path: Path, made: str) -> bool:
    try:
        fd = os.open(path, _CREATE, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(made + "\n")
    return True


def _unusable(path: Path, why: str) -> str:
    return (
        f"{path} is not pairbook's folder id: {why}. Remove it (a pairbook process makes "
        "a new one), or write into it, as a plain file, the id the other processes of this "
        "broker use"
    )


async def check_shared_folder(broker: Broker, root: Path) -> None:
    """Raise BrokerError when the other processes of the broker serve another folder. A
    broker that cannot be reached now is no reason not to start (nothing to compare)."""
    ours = folder_id(root)
    try:
        agreed = await broker.agree(AGREED, ours)
    except BrokerError:
        return
    if agreed != ours:
        raise BrokerError(
            f"the notebooks folder {root} is not the one the other pairbook processes of this "
            f"broker serve (its {FOLDER_ID} says {ours}, theirs says {agreed}): every process "
            "must serve one shared folder (one volume), or a process taking a room over "
            "reverts the others' edits with its own copy of the file. Mount the shared "
            "folder, or give this deployment a broker prefix of its own (?prefix=…); if the "
            f"folder was replaced on purpose, write {agreed} into {root / FOLDER_ID}"
        )
