"""LeaseKeeper against the real Redis: a room's ownership moves when its owner dies, is
paused past its lease, or hands its rooms over at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from redis.asyncio import Redis

from cluster.conftest import until
from pairbook.cluster.lease import Lease
from support.leases import LeaseProcess as Process
from support.leases import running

pytestmark = pytest.mark.cluster


async def test_one_of_two_processes_owns_a_room_they_both_load(redis: Redis, prefix: str) -> None:
    a, b = Process(redis, prefix, "a", 1.0), Process(redis, prefix, "b", 1.0)
    a.keeper.want("demo.ipynb")
    b.keeper.want("demo.ipynb")
    for _ in range(3):  # a free room is taken at its second sighting: a takes it, b never
        await a.keeper.round()
        await b.keeper.round()
    assert [g.holder for g in a.gained + b.gained] == ["a"]
    assert a.keeper.held("demo.ipynb") is not None
    assert b.keeper.held("demo.ipynb") is None


async def test_when_the_owner_dies_another_process_takes_the_room(
    redis: Redis, prefix: str
) -> None:
    a, b = Process(redis, prefix, "a", 0.6), Process(redis, prefix, "b", 0.6)
    await a.keeper.claim("demo.ipynb")
    b.keeper.want("demo.ipynb")
    # a stops renewing without releasing anything (kill -9): b keeps trying and gets it.
    async with running(b):
        await until(lambda: _has(b))
    assert b.gained[0].token > a.gained[0].token


async def test_a_paused_owner_learns_it_lost_the_room(redis: Redis, prefix: str) -> None:
    a, b = Process(redis, prefix, "a", 0.4), Process(redis, prefix, "b", 0.4)
    await a.keeper.claim("demo.ipynb")
    b.keeper.want("demo.ipynb")
    async with running(b):
        await until(lambda: _has(b))
    await a.keeper.round()  # a wakes up from its pause
    assert a.lost == a.gained
    assert a.keeper.held("demo.ipynb") is None
    assert not a.keeper.holds("demo.ipynb")  # as it told `lost`


async def test_shutting_down_hands_the_rooms_over_at_once(redis: Redis, prefix: str) -> None:
    a, b = Process(redis, prefix, "a", 30.0), Process(redis, prefix, "b", 30.0)
    for room in ("one.ipynb", "two.ipynb"):
        await a.keeper.claim(room)
        b.keeper.want(room)
    await b.keeper.round()
    assert b.gained == []
    await a.keeper.release_all()
    await b.keeper.round()  # long before the 30 s lease would have run out
    await b.keeper.round()
    assert sorted(lease.room for lease in b.gained) == ["one.ipynb", "two.ipynb"]


async def test_a_dropped_room_is_released_and_not_taken_again(redis: Redis, prefix: str) -> None:
    a = Process(redis, prefix, "a", 30.0)
    await a.keeper.claim("demo.ipynb")
    await a.keeper.drop("demo.ipynb")
    await a.keeper.round()
    assert len(a.gained) == 1
    assert await a.keeper.leases.holder_of("demo.ipynb") is None


async def test_a_lease_redis_lost_is_taken_back_by_its_holder_first(
    redis: Redis, prefix: str
) -> None:
    a, b = Process(redis, prefix, "a", 30.0), Process(redis, prefix, "b", 30.0)
    await a.keeper.claim("demo.ipynb")
    b.keeper.want("demo.ipynb")
    await redis.delete(a.keeper.leases.lease_key("demo.ipynb"))  # Redis restarted empty
    await b.keeper.round()  # b sees the room free once: it waits
    await a.keeper.round()  # a renews, finds its lease gone and takes the room back
    await b.keeper.round()
    held = a.keeper.held("demo.ipynb")
    assert held is not None
    assert held.token > a.gained[0].token
    assert a.lost == []
    assert b.gained == []


async def _has(process: Process) -> bool:
    return process.keeper.held("demo.ipynb") is not None


async def test_a_lease_past_its_time_is_not_held_even_before_the_next_renewal(
    redis: Redis, prefix: str
) -> None:
    now = [100.0]
    keeper = Process(redis, prefix, "a", 30.0, clock=lambda: now[0]).keeper
    assert await keeper.claim("demo.ipynb") is not None
    now[0] += 29.0
    assert keeper.held("demo.ipynb") is not None
    now[0] += 1.0  # the process was paused: its lease may be another's by now
    assert keeper.held("demo.ipynb") is None
    # Still held as far as the keeper told anyone (no `lost` yet): a room that loaded
    # owned meanwhile is not loaded again for a late renewal (Rooms._load_as_held).
    assert keeper.holds("demo.ipynb")


async def test_a_room_dropped_while_its_lease_is_being_taken_is_not_held(
    redis: Redis, prefix: str
) -> None:
    # The room is unloaded (drop) while a round takes its lease, waiting on the store's
    # fence: the lease taken for it is given back, not left held for its whole time.
    fencing, go_on = asyncio.Event(), asyncio.Event()

    async def slow_fence(room: str, token: int) -> int:
        fencing.set()
        await go_on.wait()
        return 0

    keeper = Process(redis, prefix, "a", 30.0, fence=slow_fence).keeper
    taking = asyncio.create_task(keeper.claim("demo.ipynb"))
    await fencing.wait()
    await keeper.drop("demo.ipynb")
    go_on.set()
    assert await taking is None
    assert keeper.held("demo.ipynb") is None
    assert await keeper.leases.holder_of("demo.ipynb") is None


async def test_a_room_dropped_while_its_lease_is_being_taken_back_is_not_held(
    redis: Redis, prefix: str
) -> None:
    # Redis lost the held lease; the round taking it back waits on the store's fence while
    # the room is dropped here: the lease taken back is given back too.
    fencing, go_on = asyncio.Event(), asyncio.Event()
    slow = [False]

    async def fence(room: str, token: int) -> int:
        if slow[0]:
            fencing.set()
            await go_on.wait()
        return 0

    keeper = Process(redis, prefix, "a", 30.0, fence=fence).keeper
    assert await keeper.claim("demo.ipynb") is not None
    await redis.delete(keeper.leases.lease_key("demo.ipynb"))  # Redis restarted empty
    slow[0] = True
    rounding = asyncio.create_task(keeper.round())
    await fencing.wait()
    await keeper.drop("demo.ipynb")
    go_on.set()
    await rounding
    assert keeper.held("demo.ipynb") is None
    assert await keeper.leases.holder_of("demo.ipynb") is None


async def test_an_owner_paused_while_another_owned_the_room_and_let_it_go_loses_it(
    redis: Redis, prefix: str
) -> None:
    # a is paused past its lease; b takes the room, runs it, unloads it (releases). a's
    # renewal finds the lease free: it must not carry on as the owner with its stale room.
    a, b = Process(redis, prefix, "a", 30.0), Process(redis, prefix, "b", 30.0)
    await a.keeper.claim("demo.ipynb")
    await redis.delete(a.keeper.leases.lease_key("demo.ipynb"))  # a's lease ran out
    await b.keeper.claim("demo.ipynb")
    await b.keeper.drop("demo.ipynb")
    await a.keeper.round()  # a wakes up from its pause
    assert a.lost == a.gained
    assert a.keeper.held("demo.ipynb") is None
    for _ in range(2):  # still wanted: taken again (and the room loaded anew) as any room
        await a.keeper.round()
    assert [lease.token for lease in a.gained] == [1, 4]


async def test_a_lease_taken_back_by_a_round_and_a_claim_at_once_stays_held(
    redis: Redis, prefix: str
) -> None:
    # Redis lost the lease; a round and a claim (the room reopening here) both find it gone
    # and both take it back: the one that lost the race must not drop the other's lease.
    a = Process(redis, prefix, "a", 30.0)
    await a.keeper.claim("demo.ipynb")
    await redis.delete(a.keeper.leases.lease_key("demo.ipynb"))
    await asyncio.gather(a.keeper.round(), a.keeper.claim("demo.ipynb"))
    held = a.keeper.held("demo.ipynb")
    assert held is not None
    assert await a.keeper.leases.holder_of("demo.ipynb") == held
    assert a.lost == []


async def test_leases_of_many_rooms_stay_put_while_the_event_loop_is_busy(
    redis: Redis, prefix: str
) -> None:
    # 400 rooms held, and every turn of the event loop costs 3 ms of other work (a busy
    # process): a round that renewed the leases one Redis round trip after another took
    # 400 turns, past the leases' second, and the rooms' leases ran out between renewals
    # (session 15's 500-room bench: rooms moved). Renewed all at once, none runs out.
    a = Process(redis, prefix, "a", 1.0)
    rooms = [f"room-{i}.ipynb" for i in range(400)]
    # Claimed 50 at a time, with a round (every held lease renewed in one call) after each
    # fifty: claiming 400 rooms outlasted the first leases' second on a loaded machine, one
    # after another (6ea6a32's full run) and fifty at a time (25f3a42's).
    for first in range(0, len(rooms), 50):
        await asyncio.gather(*(a.keeper.claim(room) for room in rooms[first : first + 50]))
        await a.keeper.round()
    leases = {room: a.keeper.held(room) for room in rooms}
    assert None not in leases.values()

    async def busy() -> None:
        while True:
            time.sleep(0.003)  # noqa: ASYNC251 (the turn's other work, holding the loop)
            await asyncio.sleep(0)

    hog = asyncio.create_task(busy())
    try:
        for _ in range(6):  # the keeper's rounds, as `run` does them: about 2 s
            await a.keeper.round()
            assert all(a.keeper.held(room) == lease for room, lease in leases.items())
            await asyncio.sleep(a.keeper.interval)
    finally:
        hog.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hog
    assert a.lost == []
    # What Redis holds, read in one round trip after a renewal (400 reads one after another
    # outlasted the leases under load: the last ones read back expired).
    await a.keeper.round()
    values = await a.keeper.leases.values_of(rooms)
    held = [
        None if value is None else Lease.parse(room, value)
        for room, value in zip(rooms, values, strict=True)
    ]
    assert held == list(leases.values())
