"""The room's owner keeps it open while its members are on other processes only: its
kernel and mob timer are theirs. Two `Rooms` on one store and one memory broker hub stand
for two processes; the first to open the room owns it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pairbook.auth import Role, User
from pairbook.broker import MemoryBroker, MemoryHub
from pairbook.rooms import Peer, RoomPolicy, Rooms, TokenBucket, memory_channel_pair
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId
from support.notebooks import write_notebook
from support.ownership import MemoryOwnership

ROOM = RoomId("demo.ipynb")


def peer(name: str) -> Peer:
    ours, _theirs = memory_channel_pair()
    user = User(UserId(name), name.title(), "#336699")
    return Peer(
        name, user, Role.EDITOR, ours, queue_limit=64, limiter=TokenBucket(1e9, 1_000_000_000)
    )


async def test_the_owner_stays_while_members_are_on_another_process_only(tmp_path: Path) -> None:
    write_notebook(tmp_path / "demo.ipynb")
    policy = RoomPolicy(unload_delay=0.05, tick=0.01)
    hub = MemoryHub()
    elsewhere = MemoryOwnership(None)  # B owns nothing: A, which opens the room first, does
    async with (
        MemoryStore() as store,
        MemoryBroker(hub) as a_broker,
        MemoryBroker(hub) as b_broker,
        Rooms(tmp_path, store, policy, services=[], broker=a_broker) as a,
        Rooms(tmp_path, store, policy, services=[], broker=b_broker, ownership=elsewhere) as b,
    ):
        owned = await a.open(ROOM)
        assert owned.owned
        assert owned.room.feed is not None
        # Ana on A keeps the room open until B has announced Bo (an empty room unloads after
        # 50 ms, which B's announcement can take on a loaded machine).
        ana = peer("ana")
        owned.room.join(ana)
        there = await b.open(ROOM)
        bo = peer("bo")
        there.room.join(bo)
        # B announces Bo a moment after he joined (no event to wait on across "processes").
        while not owned.room.feed.signals.present:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        owned.room.leave(ana)  # A has no peer of its own now: only a member elsewhere
        await asyncio.sleep(policy.unload_delay * 6)  # past the delay an empty room waits
        assert owned.task is not None
        assert not owned.task.done()
        assert a.get(ROOM) is owned
        there.room.leave(bo)  # the last member anywhere: the owner unloads now
        await asyncio.wait_for(asyncio.shield(owned.task), 5)
        assert a.get(ROOM) is None
