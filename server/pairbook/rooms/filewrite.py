"""The write of a room's notebook file in flight, told to the store before its rename.

A keeper saves the file, then stores its hash (FILE_SHA). Killed between the two, it left a
file the store does not know; edited outside after that, the next keeper found a file that
is neither what the store says pairbook saved nor what the room holds, and the room with
"unsaved" edits: a conflict, the outside edit kept out of the room. So each write is told
first (FILE_NEXT: the inode and hash of the file about to be renamed into place): the next
keeper finds that inode still there when the rename happened, whatever was written into
the file since (an edit in place keeps the inode). A file replaced since (an editor that
saves by renaming) says nothing either way: the stored hash holds, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pairbook.errors import NotebookError
from pairbook.notebook import NotebookFile
from pairbook.notebook.ipynb import FileFingerprint
from pairbook.store.port import Store
from pairbook.types import RoomId

FILE_NEXT = "file_next"
TELL_WITHIN = 5.0
"""Seconds the store has to take FILE_NEXT; past that nothing is written (the next save
tries again)."""


def tell_write(
    store: Store, room_id: RoomId, within: float = TELL_WITHIN
) -> Callable[[FileFingerprint], None]:
    """A `NotebookFile.save` hook (it runs in the save's worker thread) storing the file
    about to be renamed into place; raises, and nothing is written, if the store does not
    take it (`within` seconds). Call it on the event loop."""
    loop = asyncio.get_running_loop()

    def told(written: FileFingerprint) -> None:
        device, inode = written.inode
        value = f"{device}:{inode}:{written.sha256}"
        future = asyncio.run_coroutine_threadsafe(store.set_meta(room_id, FILE_NEXT, value), loop)
        try:
            future.result(within)
        except TimeoutError as exc:
            # A TimeoutError is an OSError: the save would blame the disk ("check that the
            # folder is writable and the disk is not full") for a store that answered late.
            future.cancel()
            raise NotebookError(
                f"not saved yet: the store did not take the write within {within:g} s "
                "(it is busy); the next autosave tries again"
            ) from exc
        except BaseException:
            future.cancel()
            raise

    return told


def landed_sha(file: NotebookFile, stored_sha: str, told: str) -> str:
    """The hash of what pairbook last wrote to the file: the write told in FILE_NEXT when
    the file is still the one it renamed into place, else the stored FILE_SHA. Blocking
    (a stat): run it in a worker thread."""
    device, _, rest = told.partition(":")
    inode, _, sha = rest.partition(":")
    if not sha or sha == stored_sha or not (device.isdigit() and inode.isdigit()):
        return stored_sha
    return sha if file.inode_now() == (int(device), int(inode)) else stored_sha
