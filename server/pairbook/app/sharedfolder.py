"""The processes sharing a broker serve one notebooks folder: checked at start.

A process serving a folder of its own (a volume not mounted, another machine's copy) reads
the notebook files as they are there: taking a room's files lease over, it would adopt its
stale copy and revert everyone's edits. The folder carries an id (`.pairbook-folder`, made
once by the first process to serve it); the processes of a broker agree on one, and a
process that finds another refuses to start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pairbook.broker.port import Broker
from pairbook.errors import BrokerError

FOLDER_ID = ".pairbook-folder"
AGREED = "folder"


def folder_id(root: Path) -> str:
    """The folder's id, made now if it has none (the first process that makes it wins)."""
    path = root / FOLDER_ID
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        made = secrets.token_hex(16)
        file.write(made + "\n")
    return made


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
