"""The open rooms wake for their upkeep each on a phase of its own (rooms/beat.py): rooms a
stall of the event loop woke together are due apart again after it, as they were before it.
Before, each room waited a tick from its wake-up, so every stall left the rooms it woke due
together for good (hundreds of wake-ups in one 10 ms stretch at 500 rooms). The deadlines
are read from the loop's own timers; no assertion depends on how long anything took."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

from pairbook.auth import Role, User
from pairbook.rooms import Peer, RoomPolicy, Rooms, TokenBucket, memory_channel_pair
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.upkeep import REST
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId
from support.notebooks import write_notebook

ROOMS = 16
TICK = 0.2


def deadlines(entries: list[OpenRoom]) -> list[float] | None:
    """When each room's life loop is next woken (None: not every room waits yet)."""
    loop = asyncio.get_running_loop()
    timers = {
        id(timer._args[0]): timer.when()
        for timer in loop._scheduled  # type: ignore[attr-defined]
        if not timer.cancelled() and timer._args
    }
    dues = []
    for entry in entries:
        waiters = entry.room.changed._waiters
        if not waiters or id(waiters[0]) not in timers:
            return None
        dues.append(timers[id(waiters[0])])
    return dues


async def due_after(entries: list[OpenRoom], moment: float) -> list[float]:
    """The rooms' next wake-ups once every one of them is waiting for one after `moment`."""
    async with asyncio.timeout(30):  # a hang guard, not a measurement
        while True:
            dues = deadlines(entries)
            if dues is not None and min(dues) > moment:
                return dues
            await asyncio.sleep(0)


def phases(dues: list[float]) -> list[float]:
    return sorted(round(due % TICK, 6) % TICK for due in dues)


def widest_gap(dues: list[float]) -> float:
    """The longest stretch of the tick in which no room is due (phases taken modulo it)."""
    phases = sorted(due % TICK for due in dues)
    gaps = [b - a for a, b in itertools.pairwise(phases)]
    return max([*gaps, phases[0] + TICK - phases[-1]])


async def test_rooms_a_stall_woke_together_are_due_apart_again(tmp_path: Path) -> None:
    names = [f"nb{index}.ipynb" for index in range(ROOMS)]
    for name in names:
        write_notebook(tmp_path / name)
    policy = RoomPolicy(tick=TICK, unload_delay=3600)
    async with MemoryStore() as store, Rooms(tmp_path, store, policy, services=[]) as rooms:
        entries = [await rooms.open(RoomId(name)) for name in names]
        loop = asyncio.get_running_loop()
        opened = await due_after(entries, loop.time())
        assert widest_gap(opened) < TICK / 2  # 16 phases: no stretch of half the tick empty

        # The loop stalls (blocked on purpose): every room's wake-up comes during it.
        time.sleep(1.5 * TICK)  # noqa: ASYNC251
        after = await due_after(entries, loop.time())

        assert widest_gap(after) < TICK / 2  # spread as before the stall, not bunched
        assert phases(after) == phases(opened)  # each room on its own phase still


async def next_two_wakeups(entry: OpenRoom) -> tuple[float, float]:
    """Two successive deadlines of the room's life loop, from its next wake-up on."""
    loop = asyncio.get_running_loop()
    (first,) = await due_after([entry], loop.time())
    (second,) = await due_after([entry], first)
    return first, second


def joined_peer(entry: OpenRoom) -> Peer:
    ours, _theirs = memory_channel_pair()
    user = User(UserId("ana"), "Ana", "#336699")
    peer = Peer(
        "ana", user, Role.EDITOR, ours, queue_limit=64, limiter=TokenBucket(1e9, 1_000_000_000)
    )
    entry.room.join(peer)
    return peer


async def test_a_room_with_nothing_due_rests_several_ticks_and_an_empty_one_keeps_its_tick(
    tmp_path: Path,
) -> None:
    # Before, every open room woke every tick (2,000 wake-ups a second at 500 rooms),
    # nearly always for nothing (rooms/upkeep.py).
    write_notebook(tmp_path / "nb.ipynb")
    policy = RoomPolicy(tick=TICK, unload_delay=3600, autosave_delay=3600)
    async with MemoryStore() as store, Rooms(tmp_path, store, policy, services=[]) as rooms:
        entry = await rooms.open(RoomId("nb.ipynb"))
        first, second = await next_two_wakeups(entry)
        assert second - first < REST * TICK  # empty: it counts down to its unload

        joined_peer(entry)
        first, second = await next_two_wakeups(entry)
        assert second - first >= REST * TICK - 1e-6  # a peer, nothing due: it rests


async def test_a_resting_room_wakes_for_its_autosave(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb")
    policy = RoomPolicy(tick=TICK, unload_delay=3600, autosave_delay=2 * TICK)
    async with MemoryStore() as store, Rooms(tmp_path, store, policy, services=[]) as rooms:
        entry = await rooms.open(RoomId("nb.ipynb"))
        joined_peer(entry)
        await next_two_wakeups(entry)  # resting now
        entry.room.last_change = time.monotonic()
        async with asyncio.timeout(30):  # a hang guard, not a measurement
            while entry.room.last_change:  # reset by the autosave
                await due_after([entry], asyncio.get_running_loop().time())
