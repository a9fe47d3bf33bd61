"""TwinSync: keeps a room and its notebook's `.py` twin in step, never clobbering either.

- After the room saves, the twin is written from the room (atomically, when it changes).
- A twin edited on disk is merged into the room as an edit by `pairbook:disk` (see
  `merge_twin`): the cells changed in the `.py` take its text, the room's other edits stay.
- The twin is never written over an edit on disk not yet read: it is read and merged first,
  and replaced only if it still holds the bytes read (an edit saved meanwhile stays).
- A poll judges the twin by its stat as found *before* its last read (an edit saved after
  it then shows), and reads again a twin modified within STAT_TICK of that look.
- A merge that conflicts (one cell changed on both sides) writes nothing anywhere: twin
  writes pause and every client is told, until the `.py` or the room is changed so that
  they merge, or someone resolves it (keep the room's version or the twin's).
- A `.py` beside the notebook that jupytext did not write is left alone under the default
  pairing (it may be a module of the project); an explicit pairing uses it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycrdt import Map

from pairbook.errors import NotebookError
from pairbook.notebook import apply_notebook_to_ydoc, read_notebook, ydoc_to_notebook
from pairbook.notebook.file import sha_of_bytes, within_tick
from pairbook.notebook.twin import (
    check_twin_path,
    formats_of,
    is_jupytext_text,
    twin_format_of,
    twin_path_of,
)
from pairbook.notebook.twinfile import TwinFile
from pairbook.notebook.twinmerge import merge_twin
from pairbook.rooms.room import Room
from pairbook.rooms.signals import tell_everyone
from pairbook.rooms.twinbase import Base, Written, read_both, render
from pairbook.schema import META
from pairbook.types import DISK_USER

log = logging.getLogger("pairbook.twin")

TWIN_SHA = "twin_sha"
_UNSEEN = object()
_Look = tuple[Path, tuple[int, int, int] | None] | None


@dataclass(slots=True)
class _Paired:
    file: TwinFile
    fmt: str
    explicit: bool  # the notebook's metadata names the pairing


class TwinSync:
    """The twin of one room's notebook. Call `sync` with the FileSync lock held."""

    def __init__(
        self, room: Room, notebook: Path, root: Path, *, default: bool, stored_sha: str = ""
    ) -> None:
        self.room = room
        self.notebook = notebook
        self.root = root
        self.default = default
        self.paired: _Paired | None = None
        self.known_sha: str | None = None  # the twin's bytes as last written or read
        self.base: Base = Written([], "")  # the twin as last written or read: a merge's base
        self.conflict: str | None = None
        self.status: str | None = None  # why there is no twin, or the last error
        self._stored_sha = stored_sha  # the twin as the log says pairbook last wrote it
        self._conflict_sha = ""  # the twin's bytes that conflicted
        self._seen: object = _UNSEEN  # the twin's path and stat before the last full look
        self._settling = ""  # an edited twin's sha, merged once a later look finds it again
        self._settling_now = False
        self.clock: Callable[[], int] = time.time_ns  # the wall clock file mtimes are set by

    @property
    def asks_look(self) -> bool:
        """Whether the next poll must read the twin whatever its stat (not looked at yet,
        taken over, settling, or modified within STAT_TICK of the last look)."""
        return self._seen is _UNSEEN

    @property
    def path(self) -> Path | None:
        """Where the notebook's twin is (or is about to be written), None without one."""
        if self.paired is not None:
            return self.paired.file.path
        if self.status is not None:  # refused, or a .py jupytext did not write
            return None
        path = twin_path_of(self.notebook, self._metadata(), default=self.default)
        try:
            return None if path is None else check_twin_path(self.root, path, self.notebook)
        except NotebookError:
            return None

    async def sync(self, *, room_changed: bool) -> None:
        """Merge an edit of the twin on disk into the room, then write the twin if the room
        changed (or the twin is not known yet). A poll (`room_changed` False) that finds the
        twin as the last look left it costs one stat, not a pass over the notebook."""
        now = self.clock()
        look = await self._look()
        if not room_changed and self._seen is not _UNSEEN and self._seen == look:
            return
        self._settling_now = False
        try:
            await self._sync(room_changed)
        except NotebookError as exc:  # the notebook jupytext cannot write: nothing written
            self._fail(str(exc))
        # The look from before the read, never one after: an edit saved since (even right
        # after pairbook's own write) then differs from it. A twin still settling, or modified
        # within a tick of the look, is read again on the next poll, whatever its stat.
        self._seen = _UNSEEN if self._settling_now or _recent(look, now) else look

    async def adopt(self, stored_sha: str) -> None:
        """Another process kept the twin until now (or none did while Redis was away): the
        next sync looks at it as when the room opens (`_first_look`). The bytes pairbook
        last wrote (`stored_sha`, what the store says), the room's own rendering, or the
        notebook file's as it is now (before anything is saved) are no edit; other bytes
        are an outside edit, merged into the room, never written over."""
        self._stored_sha = stored_sha
        self.known_sha = None
        self.conflict = None
        self._seen = _UNSEEN
        if not self._pair(self._metadata()) or self.paired is None:
            return
        try:
            data = await asyncio.to_thread(self.paired.file.read)
        except NotebookError:
            return
        if data is not None and await self._renders_notebook_file(data):
            self._stored_sha = sha_of_bytes(data)

    async def _look(self) -> _Look:
        if self.paired is None:
            return None
        try:
            key = await asyncio.to_thread(self.paired.file.stat_key)
        except NotebookError:
            key = None
        return (self.paired.file.path, key)

    def _metadata(self) -> dict[str, Any]:
        """The notebook's metadata, read without converting its cells."""
        ymeta = self.room.doc.get(META, type=Map).get("metadata")
        return (ymeta.to_py() or {}) if isinstance(ymeta, Map) else {}

    async def _sync(self, room_changed: bool) -> None:
        # The room is converted only when needed: a look that finds the twin as known costs
        # a read and a hash, not a pass over the notebook.
        if not self._pair(self._metadata()):
            return
        assert self.paired is not None
        try:
            data = await asyncio.to_thread(self.paired.file.read)
        except NotebookError as exc:
            self._fail(str(exc))
            return
        disk_sha = sha_of_bytes(data)
        if self.known_sha is None:
            await self._first_look(ydoc_to_notebook(self.room.doc), data)
            return
        notebook = None
        if data is not None and disk_sha != self.known_sha:
            if self.conflict is not None and not room_changed and disk_sha == self._conflict_sha:
                return  # nothing new on either side
            if not await self._settled(disk_sha):
                return  # neither merged nor overwritten before it has settled
            merged = await self._merge(data, self.base)
            if merged is None:
                return
            notebook, room_changed = merged, True
        self._end_conflict()
        if room_changed or data is None:
            await self._write(notebook or ydoc_to_notebook(self.room.doc), over=disk_sha)

    async def _settled(self, disk_sha: str) -> bool:
        """Whether this version of the twin was already seen on the last look: an editor
        that writes a file in place (truncate, then write) must not have a half-written
        twin merged (an empty one would delete every cell)."""
        assert self.paired is not None
        if self._settling == disk_sha:
            return True
        self._settling, self._settling_now = disk_sha, True
        return False

    def _pair(self, metadata: dict[str, Any]) -> bool:
        """Follow the notebook's pairing (it may have been switched): False when unpaired."""
        fmt = twin_format_of(metadata, default=self.default)
        path = twin_path_of(self.notebook, metadata, default=self.default)
        if fmt is None or path is None:
            self.paired, self.status, self.conflict = None, None, None
            return False
        try:
            path = check_twin_path(self.root, path, self.notebook)
        except NotebookError as exc:
            self.paired = None
            self._refuse(str(exc))
            return False
        explicit = formats_of(metadata) is not None
        if self.paired is None or self.paired.file.path != path or self.paired.fmt != fmt:
            self.paired = _Paired(TwinFile(path), fmt, explicit)
            self.known_sha, self.conflict = None, None
        self.paired.explicit = explicit
        return True

    async def _first_look(self, notebook: dict[str, Any], data: bytes | None) -> None:
        """The twin as found when the room opened, or when the notebook was paired."""
        assert self.paired is not None
        if data is None:
            await self._write(notebook, over="")
            return
        text = data.decode("utf-8", errors="replace")
        path = self.paired.file.path
        beside = path == self.notebook.parent.resolve() / f"{self.notebook.stem}.py"
        if not is_jupytext_text(text) and not (self.paired.explicit and beside):
            # A module of the project: only the plain <stem>.py beside the notebook is
            # taken over, and only when someone paired the notebook on purpose.
            self.paired = None
            self._refuse(
                f"{path.name} exists and was not written by jupytext: left alone (pair the "
                f"notebook explicitly to use {self.notebook.stem}.py beside it as the twin)"
            )
            return
        rendered, self.base = await self._render(notebook)
        if (
            data == rendered.encode()
            or sha_of_bytes(data) == self._stored_sha
            or (not self._stored_sha and await self._older_than_notebook())
        ):
            self.known_sha = sha_of_bytes(data)
            if data != rendered.encode():
                await self._write(notebook, over=self.known_sha)
            return
        # Edited while no pairbook watched it: the room as it is now is the base.
        merged = await self._merge(data, self.base)
        if merged is not None:
            await self._write(merged, over=sha_of_bytes(data))

    async def _renders_notebook_file(self, data: bytes) -> bool:
        """Whether the twin is the notebook file's own rendering: it says nothing the file
        does not (the file is FileSync's to compare), whatever hash the store has for it. A
        keeper that wrote both and died before storing the twin's hash left such a twin: an
        edit made in the room since must not be merged away as the twin's."""
        assert self.paired is not None
        try:
            content = await asyncio.to_thread(read_notebook, self.notebook)
            rendered, _ = await asyncio.to_thread(render, content.nb, self.paired.fmt)
        except NotebookError:
            return False
        return data == rendered.encode()

    async def _older_than_notebook(self) -> bool:
        """jupytext's rule for a pair pairbook never wrote: a `.py` older than its notebook
        is stale, and is written anew from the notebook rather than merged into it."""
        assert self.paired is not None
        try:
            twin = await asyncio.to_thread(self.paired.file.stat_key)
            notebook = await asyncio.to_thread(os.stat, self.notebook)
        except (NotebookError, OSError):
            return False
        return twin is not None and twin[0] < notebook.st_mtime_ns

    async def _merge(self, data: bytes, base: Base) -> dict[str, Any] | None:
        """Bring the twin's edit into the room; the merged notebook, or None."""
        assert self.paired is not None
        name = self.paired.file.path.name
        try:
            # jupytext reading is O(notebook) and slow: off the event loop.
            cells, disk = await asyncio.to_thread(read_both, base, data, self.paired.fmt, name)
        except (NotebookError, UnicodeDecodeError) as exc:
            self._raise_conflict(f"{name} cannot be read ({exc}); it is left as it is", data)
            return None
        # Merged into the room as it is now, with no await before the edit is applied: an
        # edit a peer made meanwhile is kept, not reverted.
        merge = merge_twin(cells, disk, ydoc_to_notebook(self.room.doc))
        if merge.notebook is None:
            self._raise_conflict(
                f"{name} and the room changed the same cells ({'; '.join(merge.conflicts)}); "
                "neither was overwritten. Edit one side so they agree, or resolve it by "
                "keeping the room's version or the twin's",
                data,
            )
            return None
        merged = merge.notebook
        if merge.changed:
            try:
                await self.room.apply_server_edit(
                    lambda doc: apply_notebook_to_ydoc(merged, doc), DISK_USER
                )
            except NotebookError as exc:
                self._raise_conflict(f"{name} cannot be merged ({exc}); it is left as it is", data)
                return None
            log.info("twin merged", extra={"room": self.room.id, "cells": merge.changed})
            tell_everyone(self.room, {"event": "twin-merged", "room": self.room.id, "file": name})
        self.known_sha = sha_of_bytes(data)
        self.base = merge.read  # until the merged twin is written: what was read
        self._end_conflict()
        return ydoc_to_notebook(self.room.doc)

    async def _write(self, notebook: dict[str, Any], *, over: str | None) -> None:
        """Write the twin from `notebook` if that changes it; with `over` (the sha of the
        twin as just read, "" for none) only if the file still holds those bytes."""
        assert self.paired is not None
        rendered, base = await self._render(notebook)
        data = rendered.encode("utf-8")
        if sha_of_bytes(data) != self.known_sha:
            try:
                written = await asyncio.to_thread(self.paired.file.write, data, over)
            except NotebookError as exc:
                self._fail(str(exc))
                return
            if not written:  # saved on disk since it was read: merged on a later poll
                log.info("twin edited while being written", extra={"room": self.room.id})
                return
            self.known_sha = sha_of_bytes(data)
            await self.room.store.set_meta(self.room.id, TWIN_SHA, self.known_sha)
        self.base = base
        self.status = None

    async def _render(self, notebook: dict[str, Any]) -> tuple[str, Written]:
        """The twin's text for `notebook`, and the base a later merge starts from."""
        assert self.paired is not None
        return await asyncio.to_thread(render, notebook, self.paired.fmt)

    def _refuse(self, message: str) -> None:
        """A pairing pairbook will not follow: logged, and every page told once."""
        if self.status != message:
            tell_everyone(self.room, {"event": "twin-refused", "room": self.room.id,
                                      "message": message})  # fmt: skip
        self._fail(message)

    def _fail(self, message: str) -> None:
        if self.status != message:
            log.error("twin not synced", extra={"room": self.room.id, "reason": message})
        self.status = message

    def _end_conflict(self) -> None:
        if self.conflict is not None:
            self.conflict = None
            tell_everyone(self.room, {"event": "file-saved", "room": self.room.id})

    def _raise_conflict(self, message: str, data: bytes) -> None:
        self.conflict, self._conflict_sha = message, sha_of_bytes(data)
        log.warning("twin conflict", extra={"room": self.room.id, "reason": message})
        tell_everyone(
            self.room, {"event": "file-conflict", "room": self.room.id, "message": message}
        )

    async def resolve(self, keep: str) -> None:
        """End a conflict: "room" writes the twin from the room; "disk" takes every cell of
        the twin (the room's side stays in the log)."""
        if self.paired is None:
            self.conflict = None
            return
        self.conflict = None
        notebook = ydoc_to_notebook(self.room.doc)
        over: str | None = None  # "room": written over whatever the file holds
        if keep == "disk":
            data = await asyncio.to_thread(self.paired.file.read)
            over = sha_of_bytes(data)
            if data is not None:
                _, self.base = await self._render(notebook)
                merged = await self._merge(data, self.base)
                if merged is None:
                    return
                notebook = merged
        self.known_sha = None if keep == "room" else self.known_sha
        await self._write(notebook, over=over)
        tell_everyone(self.room, {"event": "file-saved", "room": self.room.id})


def _recent(look: _Look, now: int) -> bool:
    """Whether the file looked at was modified within STAT_TICK of `now` (or after it)."""
    key = None if look is None else look[1]
    return key is not None and within_tick(key[0], now)
