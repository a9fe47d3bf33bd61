"""FileSync: keeps a room's document and its .ipynb file in step, never clobbering either."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pairbook.errors import ConflictError, NotebookError, StoreError
from pairbook.notebook import (
    NotebookContent,
    NotebookFile,
    SaveResult,
    SaveStatus,
    apply_notebook_to_ydoc,
    ydoc_to_notebook,
)
from pairbook.notebook.fileform import FileForm
from pairbook.rooms.feed import FILES_TTL
from pairbook.rooms.filewrite import FILE_NEXT, landed_sha, tell_write
from pairbook.rooms.room import Room
from pairbook.rooms.signals import tell_everyone
from pairbook.rooms.twinsync import TWIN_SHA, TwinSync
from pairbook.types import DISK_USER

log = logging.getLogger("pairbook.filesync")

FILE_SHA = "file_sha"
FILE_RAW = "file_raw_sha"
"""The SHA-256 of the file's bytes when it last matched what the room saved (written or
read by pairbook, with no change since): a room reopened over those very bytes need not
read the notebook again to know the file was not edited meanwhile."""
UNSAVED = (
    "the notebook file is not being saved: this server process cannot reach Redis, which "
    "says which process keeps the file; every change is in the log, and the file is written "
    "again within seconds of Redis answering"
)
NOT_KEPT = (
    "another server process keeps this notebook's file now (or none can while Redis is "
    "away): reload the notebook list, then resolve the conflict it still shows"
)
SAVE_MARGIN = 2.0
"""Seconds of the files lease that must be left when a save or read of the file begins (or
twice what the last write of the file took, if more, up to half the lease): less, and the
lease could run out while it works, another process keeping the file meanwhile."""


@dataclass(frozen=True, slots=True)
class FilePolicy:
    """What a room writes to its files: the .ipynb's form, and whether a notebook that
    names no jupytext pairing of its own gets a .py twin."""

    form: FileForm = field(default_factory=FileForm)
    twin: bool = True


@dataclass(frozen=True, slots=True)
class Conflict:
    """The file changed on disk while the room had edits not yet saved."""

    message: str

    def to_json(self) -> dict[str, str]:
        return {"message": self.message}


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileSync:
    """Autosave of one room to its .ipynb, and pick-up of edits made to the file outside.

    - The document is written back (atomically, only when the bytes change), and only over
      the bytes last read: an edit saved on disk meanwhile is read, never written over.
    - A file changed on disk while the room has nothing unsaved is loaded into the room as
      an ordinary edit by `pairbook:disk`, so every peer sees it.
    - A file changed on disk while the room has unsaved edits is a conflict: neither side is
      overwritten; autosave pauses until someone resolves it (keep the room's version or
      the file's), and every pairbook client is told.
    """

    def __init__(
        self,
        room: Room,
        file: NotebookFile,
        saved_sha: str,
        twin: TwinSync | None = None,
        *,
        saved_sha_later: Awaitable[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`saved_sha_later`: the saved sha is still being worked out (a room just built
        from its file need not wait for it to be joined); it is waited for before the file
        is next compared or written."""
        self.room = room
        self.file = file
        self.saved_sha = saved_sha
        self._later = None if saved_sha_later is None else asyncio.ensure_future(saved_sha_later)
        self.twin = twin  # the notebook's .py twin, kept in step after the file
        self.conflict: Conflict | None = None
        self.last_error: str | None = None
        self._lock = asyncio.Lock()
        # Whether this process keeps the file: with several processes holding the room
        # (a broker), one at a time does (RoomFeed's files lease); the others neither
        # write it nor read changes from it, which would come back as duplicate edits.
        self.active = True
        # Asked right before each save or read of the file: whether this process still keeps
        # it (the lease renewed now). A process paused past its lease's end (SIGSTOP, a long
        # GC) would otherwise write its stale copy over the new keeper's, or read theirs.
        self.still_kept: Callable[[], Awaitable[bool]] | None = None
        self._clock = clock
        self._kept_until = math.inf  # when the lease last renewed here runs out (_kept)
        self._write_took = 0.0

    def room_bytes(self) -> bytes:
        """The room's notebook as its file holds it (the file's form: see FileForm)."""
        return self.file.bytes_of(ydoc_to_notebook(self.room.doc))

    @property
    def unsaved(self) -> str | None:
        """Why the file is not being saved now, whatever the room holds: while this process
        cannot reach Redis nobody here keeps it (a lease that cannot be renewed is taken as
        lost). None otherwise (this process, or another, keeps it)."""
        feed = self.room.feed
        if feed is None or feed.broker.stats().connected:
            return None
        return UNSAVED

    @property
    def conflict_message(self) -> str | None:
        """Why the notebook or its twin is not being saved, if either is in conflict."""
        if self.conflict is not None:
            return self.conflict.message
        return None if self.twin is None else self.twin.conflict

    async def _settle_sha(self) -> None:
        later, self._later = self._later, None
        if later is None:
            return
        try:
            self.saved_sha = await later
        except Exception:  # the next save then writes the file: nothing is lost
            log.exception("the saved notebook's sha failed", extra={"room": self.room.id})
            return
        await self.room.store.set_meta(self.room.id, FILE_SHA, self.saved_sha)

    async def close(self) -> None:
        """The room closes: a saved sha still being worked out is not wanted any more (its
        task waits for the room's first answer; left alone, it outlived the room and, at
        shutdown, the event loop)."""
        later, self._later = self._later, None
        if later is None:
            return
        later.cancel()
        try:
            await later
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # this close was cancelled, not only the sha
        except Exception:
            log.exception("the saved notebook's sha failed", extra={"room": self.room.id})

    async def save(self) -> bool:
        """Write the room to its file (then its twin) if it changed; return whether the
        notebook file was written."""
        if not self.active or not await self._kept():
            return False
        async with self._lock:
            await self._settle_sha()
            written = await self._save()
            if self.conflict is None and self.twin is not None and self._in_time("save twin"):
                await self.twin.sync(room_changed=True)
            return written

    async def _save(self) -> bool:
        if self.conflict is not None or not self._in_time("save"):
            return False
        if await asyncio.to_thread(self.file.changed_on_disk):
            await self._pick_up_disk_change()
            return False
        notebook = ydoc_to_notebook(self.room.doc)
        data = self.file.bytes_of(notebook)
        if sha_of(data) == self.saved_sha:
            return False
        started = self._clock()
        known = self.file.fingerprint  # the bytes just found there: replaced only if still so
        over = None if known is None else known.sha256
        try:
            result = await self._write(notebook, over)
        except (NotebookError, StoreError, TimeoutError) as exc:  # (the write told first)
            self.last_error = str(exc)
            log.error("autosave failed", extra={"room": self.room.id, "reason": str(exc)})
            return False
        finally:
            self._write_took = self._clock() - started
        if result.status is SaveStatus.EDITED:  # saved on disk since the look: read, not lost
            log.info("notebook file edited while being saved", extra={"room": self.room.id})
            if self._in_time("read"):
                await self._pick_up_disk_change()
            return False
        self.last_error = None
        await self._saved(sha_of(data))
        return bool(result.written)

    async def _write(self, notebook: dict[str, Any], over: str | None) -> SaveResult:
        """Write the file, the store told first which file is about to land (see
        rooms/filewrite.py: a keeper killed before `_saved` leaves no false conflict)."""
        told = tell_write(self.room.store, self.room.id)
        return await asyncio.to_thread(self.file.save, notebook, over, told)

    async def _saved(self, sha: str) -> None:
        self.saved_sha = sha
        await self.room.store.set_meta(self.room.id, FILE_SHA, sha)
        await self._note_file()

    async def _note_file(self) -> None:
        """The file holds what the room saved: remember its bytes' hash (see FILE_RAW)."""
        known = self.file.fingerprint
        if known is not None:
            await self.room.store.set_meta(self.room.id, FILE_RAW, known.sha256)

    async def poll(self) -> bool:
        """Look for a change made to the file by someone else. Returns whether the file
        (and twin) were looked at in full, with no conflict left: if not, the next look
        must not be skipped for unchanged stats (rooms/diskwatch.py)."""
        if not self.active or not await self._kept():
            return False
        async with self._lock:
            await self._settle_sha()
            if not self._in_time("read"):
                return False
            if self.conflict is None and await asyncio.to_thread(self.file.changed_on_disk):
                await self._pick_up_disk_change()
            if self.conflict is not None:
                return False
            if self.twin is not None:
                if not self._in_time("read twin"):
                    return False
                await self.twin.sync(room_changed=False)
            return True

    async def _kept(self) -> bool:
        """Renew the files lease now (outside the lock); whether this process keeps the file."""
        if self.still_kept is None:
            return True
        asked = self._clock()  # the lease runs from the renewal, not from its answer
        kept = await self.still_kept()
        self._kept_until = asked + FILES_TTL if kept else -math.inf
        return kept

    def _in_time(self, doing: str) -> bool:
        """Inside the lock, right before the file is touched: whether this process still
        keeps it, with time left for the work. A save or poll renewed the lease before
        it waited for the lock, maybe for long (another save, a slow twin): its lease may
        have run out meanwhile, and another process keep the file now."""
        needs = min(max(SAVE_MARGIN, 2 * self._write_took), FILES_TTL / 2)
        left = self._kept_until - self._clock()
        if self.active and left >= needs:
            return True
        log.warning(
            "notebook file left alone: the files lease may run out first",
            extra={"room": self.room.id, "doing": doing, "left": max(left, 0.0)},
        )
        return False

    async def adopt(self) -> bool:
        """This process keeps the file from now on (another process kept it until now, or
        none did while Redis was away). The file is compared with what the store says
        pairbook last saved (FILE_SHA, FILE_RAW), never taken as the last keeper's copy:
        other bytes are an outside edit (made while nobody kept the file, or a conflict the
        last keeper left open), taken in as any outside edit is, or a conflict when the room
        changed since too. A file holding what the room would save is no edit (a keeper
        that died between writing it and storing its hash). The twin is looked at anew as
        when the room opens. Returns False, comparing nothing, when the store cannot be
        read: the file is then neither written nor read until a later call succeeds."""
        async with self._lock:
            await self._settle_sha()
            try:  # what pairbook last saved there: the meta alone, not the whole log
                meta = await self.room.store.meta(self.room.id)
            except StoreError as exc:
                log.warning(
                    "notebook file not taken over yet: the store cannot be read",
                    extra={"room": self.room.id, "reason": str(exc)},
                )
                return False
            self.conflict = None
            self.active = True
            if self.twin is not None:  # first: the notebook file as the last keeper left it
                await self.twin.adopt(meta.get(TWIN_SHA, ""))
            stored = meta.get(FILE_SHA, "")
            stored = await asyncio.to_thread(landed_sha, self.file, stored, meta.get(FILE_NEXT, ""))
            await self._compare_adopted(stored, meta.get(FILE_RAW, ""))
            # Saved soon: the file holds the last keeper's copy, the room may hold more.
            self.room.last_change = time.monotonic()
            return True

    async def _compare_adopted(self, stored_sha: str, raw: str) -> None:
        recognised = bool(raw) and await asyncio.to_thread(self.file.recognise, raw)
        if recognised and stored_sha:  # the very bytes pairbook last wrote or read: no edit
            self.saved_sha = stored_sha
            return
        self.saved_sha = stored_sha  # (a file gone or unreadable: a conflict, as any time)
        if recognised:  # the bytes the room was built from, their sha never stored
            with contextlib.suppress(NotebookError):
                content = await asyncio.to_thread(self.file.load)
                self.saved_sha = sha_of(self.file.bytes_of(content.nb))
                return
        await self._pick_up_disk_change()

    async def reconcile(self, content: NotebookContent) -> None:
        """Compare a freshly loaded file with what pairbook last saved, and act on a change."""
        async with self._lock:
            await self._settle_sha()
            await self._take_disk_version(content)

    async def _pick_up_disk_change(self) -> None:
        try:
            content = await asyncio.to_thread(self.file.load)
        except NotebookError as exc:
            self._raise_conflict(
                f"{self.file.path.name} was changed on disk and is no longer a valid notebook "
                f"({exc}); pairbook keeps the room's version and will not overwrite the file "
                "until the conflict is resolved"
            )
            return
        await self._take_disk_version(content)

    async def _take_disk_version(self, content: NotebookContent) -> None:
        # In the file's form: a file an older pairbook wrote with the run bookkeeping is
        # the same notebook, not an edit.
        disk_sha = sha_of(self.file.bytes_of(content.nb))
        if disk_sha == self.saved_sha:
            await self._note_file()
            return
        room_sha = sha_of(self.room_bytes())  # serialising the room is O(notebook): once
        if disk_sha == room_sha:
            self.saved_sha = disk_sha
            await self.room.store.set_meta(self.room.id, FILE_SHA, disk_sha)
            await self._note_file()
            return
        if room_sha != self.saved_sha:  # the room has unsaved edits
            self._raise_conflict(
                f"{self.file.path.name} was changed on disk while the room had unsaved edits; "
                "neither was overwritten. Resolve it by keeping the room's version or the "
                "file's (POST /api/notebooks/{path}/resolve)"
            )
            return
        await self._load_into_room(content.nb)

    async def _load_into_room(self, notebook: dict[str, Any]) -> None:
        # What the file leaves out (run bookkeeping, outputs) is kept from the room.
        notebook = self.file.form.restore(notebook, ydoc_to_notebook(self.room.doc))
        await self.room.apply_server_edit(
            lambda doc: apply_notebook_to_ydoc(notebook, doc), DISK_USER
        )
        self.saved_sha = sha_of(self.room_bytes())
        await self.room.store.set_meta(self.room.id, FILE_SHA, self.saved_sha)
        await self._note_file()
        log.info("reloaded from disk", extra={"room": self.room.id})
        tell_everyone(self.room, {"event": "file-reloaded", "room": self.room.id})

    def _raise_conflict(self, message: str) -> None:
        self.conflict = Conflict(message)
        log.warning("file conflict", extra={"room": self.room.id, "reason": message})
        tell_everyone(
            self.room, {"event": "file-conflict", "room": self.room.id, "message": message}
        )

    async def resolve(self, keep: Literal["room", "disk"]) -> None:
        """End a conflict by keeping one side; the other stays in the log (room) or is
        replaced by an attributed edit (disk), so nothing is lost. Raises ConflictError
        when this process no longer keeps the file (another does, or Redis is away): the
        file is not touched."""
        if not self.active or not await self._kept():
            raise ConflictError(NOT_KEPT)
        async with self._lock:
            await self._settle_sha()
            if not self._in_time("resolve"):
                raise ConflictError(NOT_KEPT)
            if self.conflict is None and self.twin is not None:
                await self.twin.resolve(keep)
                return
            if keep == "disk":
                content = await asyncio.to_thread(self.file.load)
                self.conflict = None
                await self._load_into_room(content.nb)
                return
            notebook = ydoc_to_notebook(self.room.doc)
            await self._write(notebook, None)  # the room's version replaces the file's
            self.conflict = None
            await self._saved(sha_of(self.file.bytes_of(notebook)))
            tell_everyone(self.room, {"event": "file-saved", "room": self.room.id})
