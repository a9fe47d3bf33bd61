"""tell_write: a store that does not take the write in time stops the save with a clear
error that blames the store, not the disk."""

from __future__ import annotations

import asyncio

import pytest

from pairbook.errors import NotebookError
from pairbook.notebook.ipynb import FileFingerprint
from pairbook.rooms.filewrite import FILE_NEXT, tell_write
from pairbook.store import MemoryStore
from pairbook.types import RoomId

WRITTEN = FileFingerprint(1, 10, "ab" * 32, (7, 42))


class LateStore(MemoryStore):
    """A store whose meta writes wait until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def set_meta(self, room: str, key: str, value: str) -> None:
        await self.release.wait()
        await super().set_meta(room, key, value)


async def test_a_write_the_store_takes_is_told_before_the_rename() -> None:
    async with MemoryStore() as store:
        await asyncio.to_thread(tell_write(store, RoomId("a.ipynb")), WRITTEN)
        assert (await store.meta("a.ipynb"))[FILE_NEXT] == f"7:42:{'ab' * 32}"


async def test_a_store_that_answers_late_is_named_not_the_disk() -> None:
    async with LateStore() as store:
        told = tell_write(store, RoomId("a.ipynb"), within=0.01)
        with pytest.raises(NotebookError, match="the store did not take the write") as caught:
            await asyncio.to_thread(told, WRITTEN)
        assert "disk" not in str(caught.value)
        store.release.set()
