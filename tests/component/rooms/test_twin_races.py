"""An edit of the `.py` twin saved on disk at the worst moment for pairbook, with real files
and a MemoryStore: each is merged into the room, never lost or written over. The person's
editor is made to save at that moment by wrapping TwinFile's own read or write (the real
ones run), so each interleaving is forced, not waited for."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc

from pairbook.notebook import ydoc_to_notebook
from pairbook.notebook.twinfile import TwinFile
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import load_room
from pairbook.schema import CELLS
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId
from support.interleave import once_after
from support.notebooks import write_notebook

EDITED = "y = x + 42  # in my editor"


def sources(room: Any) -> list[str]:
    return [cell["source"] for cell in ydoc_to_notebook(room.doc)["cells"]]


def edit_in_place(twin: Path, old: str, new: str) -> None:
    """What an editor that saves in place does: same file (inode), new bytes."""
    text = twin.read_text()
    assert old in text
    with twin.open("r+") as file:  # no rename: the inode stays
        file.truncate(0)
        file.write(text.replace(old, new))


async def open_room(tmp_path: Path, store: MemoryStore) -> tuple[Any, Any, Path]:
    path = write_notebook(tmp_path / "demo.ipynb")
    room, filesync = await load_room(
        RoomId("demo.ipynb"), path, store, RoomCounters(), sync_timeout=15.0, root=tmp_path
    )
    return room, filesync, tmp_path / "demo.py"


async def polls(filesync: Any, times: int = 3) -> None:
    for _ in range(times):  # a merge needs the same edited bytes on two looks
        await filesync.poll()


async def test_an_edit_saved_right_after_pairbook_wrote_the_twin_is_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browser test's failure under load: the look that pairbook took after writing the
    twin found the person's edit already there, took it for its own write, and every later
    poll found the twin 'as it was' (one stat), so the edit never reached the room."""
    async with MemoryStore() as store:
        room, filesync, twin = await open_room(tmp_path, store)
        edit = partial(edit_in_place, twin, "y = x + 1", EDITED)
        with once_after(monkeypatch, TwinFile, "write", edit):
            await filesync.poll()  # the room's first look writes the twin
        await polls(filesync)
        assert sources(room)[2].startswith(EDITED)
        await room.settle()


def set_first_source(doc: Doc[Any]) -> None:
    doc.get(CELLS, type=Array)[1]["source"] = "x = 2  # in the room\nprint(x)"


async def test_an_edit_saved_while_pairbook_writes_the_twin_is_not_written_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An autosave reads the twin (as pairbook left it), renders the room, replaces the
    file: an edit saved in between was replaced by the room's rendering, lost."""
    async with MemoryStore() as store:
        room, filesync, twin = await open_room(tmp_path, store)
        await filesync.poll()
        await room.apply_server_edit(set_first_source, UserId("u1"))
        edit = partial(edit_in_place, twin, "y = x + 1", EDITED)
        with once_after(monkeypatch, TwinFile, "read", edit):
            await filesync.save()
        assert EDITED in twin.read_text()  # not written over
        await polls(filesync)
        assert sources(room)[1].startswith("x = 2  # in the room")
        assert sources(room)[2].startswith(EDITED)
        await room.settle()


async def test_a_same_size_edit_within_the_twins_mtime_tick_is_still_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system's mtime moves in ticks (a jiffy on ext4, 2 s on FAT): an in-place save
    of as many bytes, in the tick of the look before it, leaves mtime, size and inode as
    they were. Such a twin is read again on the next poll, not judged by its stat."""
    async with MemoryStore() as store:
        room, filesync, twin = await open_room(tmp_path, store)
        await filesync.poll()  # writes the twin
        stamp = twin.stat().st_mtime_ns
        filesync.twin.clock = lambda: stamp + 1_000_000  # every look is in the tick of its mtime

        def edit() -> None:  # same size, in place, mtime as it was
            edit_in_place(twin, "y = x + 1", "y = x + 7")
            os.utime(twin, ns=(stamp, stamp))

        await polls(filesync, 1)  # the look after pairbook's write
        with once_after(monkeypatch, TwinFile, "read", edit):
            await polls(filesync, 1)
        await polls(filesync)
        assert sources(room)[2].startswith("y = x + 7")
        await room.settle()


async def test_an_edit_saved_while_pairbook_writes_a_merged_twin_is_merged_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merge of the twin's edit is followed by a write of the merged twin (the room
    changed too); a second edit saved just before that write is not written over, and its
    merge starts from the twin as read, not as last written: the cell the first edit added
    is not added twice."""
    async with MemoryStore() as store:
        room, filesync, twin = await open_room(tmp_path, store)
        await filesync.poll()
        await room.apply_server_edit(set_first_source, UserId("u1"))  # not saved yet
        twin.write_text(twin.read_text() + "\n# %%\nz = 3\n")
        await filesync.poll()  # read once: merged when found again
        edit = partial(edit_in_place, twin, "y = x + 1", EDITED)
        with once_after(monkeypatch, TwinFile, "read", edit):
            await filesync.poll()  # merged, then its write finds the second edit
        assert EDITED in twin.read_text()
        await polls(filesync)
        assert sources(room)[1:] == ["x = 2  # in the room\nprint(x)", f"{EDITED}\ny", "z = 3"]
        await room.settle()
