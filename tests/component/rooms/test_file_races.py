"""An edit of the `.ipynb` saved on disk at the worst moment for pairbook, with real files
and a MemoryStore: it reaches the room (or a conflict), never lost or written over. The
person's editor is made to save at that moment by wrapping NotebookFile's own methods (the
real ones run), so each interleaving is forced, not waited for."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc

from pairbook.notebook import ydoc_to_notebook
from pairbook.notebook.file import NotebookFile
from pairbook.notebook.fileform import FileForm
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.filesync import FilePolicy
from pairbook.rooms.loader import load_room
from pairbook.schema import CELLS
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId
from support.interleave import once_after
from support.notebooks import write_notebook


def sources(room: Any) -> list[str]:
    return [cell["source"] for cell in ydoc_to_notebook(room.doc)["cells"]]


def edit_in_place(path: Path, old: str, new: str, *, keep_mtime: bool = False) -> None:
    """What an editor that saves in place does: same file (inode), new bytes. With
    `keep_mtime`, as a save in the same tick of the file system's clock leaves it."""
    before = path.stat()
    text = path.read_text()
    assert old in text
    with path.open("r+") as file:  # no rename: the inode stays
        file.truncate(0)
        file.write(text.replace(old, new))
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


async def open_room(tmp_path: Path, store: MemoryStore) -> tuple[Any, Any, Path]:
    path = write_notebook(tmp_path / "demo.ipynb")
    room, filesync = await load_room(
        RoomId("demo.ipynb"), path, store, RoomCounters(), sync_timeout=15.0,
        files=FilePolicy(FileForm(), twin=False),
    )  # fmt: skip
    return room, filesync, path


def set_first_source(source: str) -> Callable[[Doc[Any]], None]:
    def edit(doc: Doc[Any]) -> None:
        doc.get(CELLS, type=Array)[1]["source"] = source

    return edit


async def test_an_edit_saved_while_pairbook_saves_is_not_written_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An autosave looks at the file (as pairbook left it), renders the room, replaces the
    file: an edit saved in between was replaced by the room's rendering, lost. The room has
    unsaved edits too: a conflict, neither side overwritten."""
    async with MemoryStore() as store:
        room, filesync, path = await open_room(tmp_path, store)
        await room.apply_server_edit(set_first_source("x = 2  # in the room"), UserId("u1"))
        edit = lambda: edit_in_place(path, "y = x + 1", "y = x + 42  # in my editor")  # noqa: E731
        with once_after(monkeypatch, NotebookFile, "changed_on_disk", edit):
            assert not await filesync.save()
        assert "y = x + 42  # in my editor" in path.read_text()  # not written over
        assert filesync.conflict is not None
        assert sources(room)[1] == "x = 2  # in the room"
        await room.settle()


async def test_an_edit_saved_right_after_pairbook_wrote_the_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A same-size save in place right after pairbook's own write, in the same tick of the
    file system's clock, leaves mtime and size as pairbook's write left them: the poll took
    the file for pairbook's own and the edit never reached the room."""
    async with MemoryStore() as store:
        room, filesync, path = await open_room(tmp_path, store)
        await room.apply_server_edit(set_first_source("x = 2\nprint(x)"), UserId("u1"))
        edit = lambda: edit_in_place(path, "y = x + 1", "y = x + 7", keep_mtime=True)  # noqa: E731
        with once_after(monkeypatch, NotebookFile, "save", edit):
            assert await filesync.save()
        await filesync.poll()
        assert sources(room)[1:] == ["x = 2\nprint(x)", "y = x + 7\ny"]
        await room.settle()


async def test_a_same_size_edit_within_the_files_mtime_tick_is_still_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A look at the file in the tick of its mtime, found unchanged: an in-place save of as
    many bytes in that tick, right after the look, leaves mtime and size as they were. Such
    a file is read again on the next poll, not judged by its stat."""
    async with MemoryStore() as store:
        room, filesync, path = await open_room(tmp_path, store)
        stamp = path.stat().st_mtime_ns
        filesync.file.clock = lambda: stamp + 1_000_000  # every look is in the tick of its mtime
        await filesync.poll()
        edit = lambda: edit_in_place(path, "y = x + 1", "y = x + 7", keep_mtime=True)  # noqa: E731
        with once_after(monkeypatch, NotebookFile, "changed_on_disk", edit):
            await filesync.poll()  # found unchanged, then edited
        await filesync.poll()
        assert sources(room)[2] == "y = x + 7\ny"
        await room.settle()
