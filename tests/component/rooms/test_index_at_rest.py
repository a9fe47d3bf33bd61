"""A room's structural index (rooms/structure.py) is built by its upkeep once it has peers,
not by its first peer's keystroke: under bench/fanout's many rooms every room's first
keystroke decoded the whole document on the event loop, 500 of them in the typing's first
quarter second. A document larger than the bound is still indexed at its first update."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pairbook.auth import Role, User
from pairbook.rooms import Peer, RoomPolicy, Rooms, TokenBucket, memory_channel_pair, upkeep
from pairbook.rooms.openroom import OpenRoom
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId
from support.notebooks import write_notebook

TICK = 0.05


def join(entry: OpenRoom) -> None:
    ours, _theirs = memory_channel_pair()
    user = User(UserId("ana"), "Ana", "#336699")
    limiter = TokenBucket(1e9, 1_000_000_000)
    entry.room.join(Peer("ana", user, Role.EDITOR, ours, queue_limit=64, limiter=limiter))


async def upkeeps(entry: OpenRoom, count: int) -> None:
    """Wait until the room's life loop has gone through `count` more upkeeps."""
    seen = 0
    done = asyncio.Event()
    original = entry.room.index_at_rest

    def counted(most_bytes: int) -> None:
        nonlocal seen
        original(most_bytes)
        seen += 1
        if seen >= count:
            done.set()

    entry.room.index_at_rest = counted  # type: ignore[method-assign]
    try:
        async with asyncio.timeout(30):  # a hang guard, not a measurement
            await done.wait()
    finally:
        del entry.room.index_at_rest


async def test_a_room_with_a_peer_is_indexed_by_its_upkeep(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb")
    policy = RoomPolicy(tick=TICK, unload_delay=3600, autosave_delay=3600)
    async with MemoryStore() as store, Rooms(tmp_path, store, policy, services=[]) as rooms:
        entry = await rooms.open(RoomId("nb.ipynb"))
        join(entry)
        await upkeeps(entry, 2)
        indexed = entry.room._structure
        assert indexed is not None  # before: None until a peer's first update
        entry.room.restructured()  # lost: built again at rest, from the document as it is
        await upkeeps(entry, 2)
        assert entry.room._structure is not None
        assert entry.room._structure is not indexed


async def test_a_document_over_the_bound_waits_for_its_first_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upkeep, "INDEX_AT_REST_BYTES", 16)
    write_notebook(tmp_path / "nb.ipynb")
    policy = RoomPolicy(tick=TICK, unload_delay=3600, autosave_delay=3600)
    async with MemoryStore() as store, Rooms(tmp_path, store, policy, services=[]) as rooms:
        entry = await rooms.open(RoomId("nb.ipynb"))
        join(entry)
        await upkeeps(entry, 2)
        assert entry.room._structure is None
        assert entry.room.structure is not None  # as the first update asks for it
