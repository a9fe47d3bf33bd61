"""The store's fence against a paused owner, on the real Redis and PostgreSQL: once another
process took a room over, a write of the old owner — made while it still believed it owned
the room: a server edit, its recording — is refused by the store itself, and nothing of it
is relayed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map
from redis.asyncio import Redis

from cluster.conftest import REDIS_URL, until
from pairbook.cluster import Lease, LeaseKeeper, RoomLeases
from pairbook.cluster.ownership import ClusterOwnership
from pairbook.errors import FencedError
from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import SyncUpdate, decode_message
from pairbook.record import Recorder, Replays
from pairbook.record.service import RecordingService
from pairbook.store import MemoryStore
from pairbook.store.postgres import PostgresStore
from pairbook.types import SERVER_USER
from support.postgres import fresh_schema
from support.servicekit import ROOM, service_kit

pytestmark = pytest.mark.cluster

TTL = 0.5


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_schema() as url:
        yield url


class FrozenClock:
    """The paused owner's clock: it has not seen its lease's time run out."""

    def __call__(self) -> float:
        return 0.0


class KeeperOwnership:
    """The Ownership port over a LeaseKeeper whose rounds the test runs (none: paused)."""

    def __init__(self, keeper: LeaseKeeper) -> None:
        self.keeper = keeper

    def token(self, room: str) -> int | None:
        lease = self.keeper.held(room)
        return None if lease is None else lease.token

    def owns(self, room: str) -> bool:
        return self.token(room) is not None


async def _nothing(lease: Lease) -> None:
    return None


def mark(value: str) -> Any:
    def edit(doc: Doc[Any]) -> None:
        doc.get("fence-test", type=Map)["by"] = value

    return edit


async def test_a_paused_owner_cannot_write_once_another_process_took_the_room(
    redis: Redis, prefix: str, postgres_url: str, tmp_path: Path
) -> None:
    async with (
        PostgresStore(postgres_url) as store_a,
        PostgresStore(postgres_url) as store_b,
        service_kit(tmp_path, store_a) as a,
    ):
        leases = RoomLeases(redis, "a", prefix=f"{prefix}owner:", ttl=TTL)
        keeper = LeaseKeeper(
            leases, gained=_nothing, lost=_nothing, clock=FrozenClock(),
            fence=store_a.raise_fence,
        )  # fmt: skip
        first = await keeper.claim(ROOM)
        assert first is not None
        a.room.ownership = KeeperOwnership(keeper)  # type: ignore[assignment]
        peer = await a.join("ann")
        written = await a.handle.apply_server_edit(mark("a, owner"), SERVER_USER)
        assert written is not None
        assert _updates(peer.end.unread()) == 1
        # a is paused now: it renews nothing; its lease runs out and b takes the room.
        b = ClusterOwnership(
            Redis.from_url(REDIS_URL), "b", prefix=prefix, ttl=TTL,
            fence=store_b.raise_fence,
        )  # fmt: skip
        async with b:
            await until(lambda: b.claim(ROOM))
            second = b.keeper.held(ROOM)
            assert second is not None
            assert second.token > first.token
            # a wakes and writes as the owner it still believes it is: refused.
            assert a.room.ownership.owns(ROOM)
            with pytest.raises(FencedError, match="has taken the room over"):
                await a.handle.apply_server_edit(mark("a, after losing it"), SERVER_USER)
            # ... and so is its last write as it stops (the kernel's "stopped").
            with pytest.raises(FencedError):
                await a.handle.apply_server_edit(mark("a, stopping"), SERVER_USER)
        records = await store_b.records(ROOM)
        assert records[-1].seq == written
        assert _updates(peer.end.unread()) == 0
        assert peer.peer.close_request == (
            CloseCode.GOING_AWAY,
            "the room moved to another server process; reconnecting; reconnect in a moment",
        )


async def test_a_paused_owners_recording_is_refused_once_another_process_took_the_room(
    redis: Redis, prefix: str, postgres_url: str, tmp_path: Path
) -> None:
    async with (
        PostgresStore(postgres_url) as store_a,
        PostgresStore(postgres_url) as store_b,
        service_kit(tmp_path, store_a) as a,
    ):
        leases = RoomLeases(redis, "a", prefix=f"{prefix}owner:", ttl=TTL)
        keeper = LeaseKeeper(
            leases, gained=_nothing, lost=_nothing, clock=FrozenClock(),
            fence=store_a.raise_fence,
        )  # fmt: skip
        assert await keeper.claim(ROOM) is not None
        a.room.ownership = KeeperOwnership(keeper)  # type: ignore[assignment]
        recorder = Recorder(
            ROOM, a.room.doc, store_a, lambda: a.room.last_seq, checkpoint_every=1,
            owner_write=a.handle.owner_write,
        )  # fmt: skip
        recording = RecordingService(a.handle, recorder, Replays(store_a).get(ROOM))
        a.room.attach([recording])
        await recording.start()
        ann, bob = await a.join("ann"), await a.join("bob")
        await recording.upkeep(0)
        written = [e.kind for e in await store_b.events(ROOM)]
        assert written == ["join", "join"]
        # a is paused now: b takes the room; a's recording, written on waking, is refused.
        b = ClusterOwnership(
            Redis.from_url(REDIS_URL), "b", prefix=prefix, ttl=TTL,
            fence=store_b.raise_fence,
        )  # fmt: skip
        async with b:
            await until(lambda: b.claim(ROOM))
            assert a.room.ownership.owns(ROOM)
            a.room.leave(ann.peer)
            await recording.upkeep(0)
        assert [e.kind for e in await store_b.events(ROOM)] == written
        assert await store_b.checkpoint_seqs(ROOM) == [a.room.last_seq]  # a's, before
        assert a.room.lost is not None
        assert bob.peer.close_request == (
            CloseCode.GOING_AWAY,
            "the room moved to another server process; reconnecting; reconnect in a moment",
        )
        await recording.close()


def _updates(frames: list[bytes]) -> int:
    return sum(isinstance(decode_message(frame), SyncUpdate) for frame in frames)


async def test_a_lease_counter_behind_the_stores_fence_is_moved_past_it(
    redis: Redis, prefix: str
) -> None:
    async with MemoryStore() as store:
        await store.raise_fence(ROOM, 7)  # Redis restarted empty: its counter starts again
        leases = RoomLeases(redis, "a", prefix=prefix, ttl=5.0)
        keeper = LeaseKeeper(leases, gained=_nothing, lost=_nothing, fence=store.raise_fence)
        lease = await keeper.claim(ROOM)
        assert lease is not None
        assert lease.token == 8
        assert await store.raise_fence(ROOM, 1) == 8


async def test_a_token_given_again_after_redis_lost_its_counter_is_not_trusted(
    redis: Redis, prefix: str
) -> None:
    async with MemoryStore() as store:
        await store.raise_fence(ROOM, 1)  # b's grant 1, before Redis restarted empty
        leases = RoomLeases(redis, "a", prefix=prefix, ttl=5.0)
        keeper = LeaseKeeper(leases, gained=_nothing, lost=_nothing, fence=store.raise_fence)
        lease = await keeper.claim(ROOM)  # Redis's counter gives 1 again: a gets 2 instead
        assert lease is not None
        assert lease.token == 2


async def test_a_lease_whose_fence_cannot_be_stored_is_given_back(
    redis: Redis, prefix: str
) -> None:
    store = MemoryStore()  # not open: every write fails with StoreError
    leases = RoomLeases(redis, "a", prefix=prefix, ttl=5.0)
    keeper = LeaseKeeper(leases, gained=_nothing, lost=_nothing, fence=store.raise_fence)
    assert await keeper.claim(ROOM) is None
    assert await leases.holder_of(ROOM) is None
