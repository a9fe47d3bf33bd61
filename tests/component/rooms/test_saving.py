"""Rooms that go quiet together save a few at a time (rooms/saving.py): the others try again
at a later wake-up, their changes still due, and every room's file is saved in the end.
Before, every room of a beat slot started its save in the same turn of the event loop (500
rooms: the loop stood still for hundreds of milliseconds, bench/autosave_burst.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from pairbook.rooms import RoomPolicy, Rooms
from pairbook.rooms.filesync import FileSync
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId
from support.notebooks import read_sources, write_notebook

ROOMS = 6
AT_ONCE = 2
MARK = "# edited\n"


def edit(doc: Doc[Any]) -> None:
    ycell = doc.get("cells", type=Array)[1]
    assert isinstance(ycell, Map)
    source = ycell["source"]
    assert isinstance(source, Text)
    source.insert(0, MARK)


async def test_rooms_quiet_together_save_a_few_at_once_and_every_one_is_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [write_notebook(tmp_path / f"nb{index}.ipynb") for index in range(ROOMS)]
    saving, most = 0, 0
    release = asyncio.Event()
    save = FileSync.save

    async def held(self: FileSync) -> bool:
        """The real save, held until the test lets the saves go."""
        nonlocal saving, most
        saving += 1
        most = max(most, saving)
        try:
            await release.wait()
            return await save(self)
        finally:
            saving -= 1

    monkeypatch.setattr(FileSync, "save", held)
    policy = RoomPolicy(tick=0.02, autosave_delay=0.02, unload_delay=3600, saves_at_once=AT_ONCE)
    async with MemoryStore() as store, Rooms(tmp_path, store, policy, services=[]) as rooms:
        try:
            await save_all_while_held(rooms, paths, release, lambda: (saving, most))
        finally:
            release.set()  # on a failure too: the rooms' saves at shutdown would wait forever
        assert most == AT_ONCE
    assert rooms.saves.running == 0  # every slot given back, by the saves cancelled too


async def save_all_while_held(
    rooms: Rooms, paths: list[Path], release: asyncio.Event, counts: Callable[[], tuple[int, int]]
) -> None:
    """Edit every room, wait until each waiting room found the slots taken, then let the
    held saves go and wait until every file holds its room's edit."""
    entries = [await rooms.open(RoomId(path.name)) for path in paths]
    for entry in entries:
        await entry.room.apply_server_edit(edit, UserId("ana"))
    tick = rooms.policy.tick
    async with asyncio.timeout(30):  # a hang guard, not a measurement
        # Each room waiting tries once a tick: three put-offs for each of them means that
        # every one has found the slots taken (they came due a tick or two apart at most).
        while counts()[0] < ROOMS and rooms.saves.put_off < 3 * (ROOMS - AT_ONCE):  # noqa: ASYNC110
            await asyncio.sleep(tick)
    assert counts()[1] == AT_ONCE  # before: every room's save at once
    release.set()
    async with asyncio.timeout(30):
        while not all(read_sources(path)[1].startswith(MARK) for path in paths):  # noqa: ASYNC110
            await asyncio.sleep(tick)  # the files, written by the rooms' saves
