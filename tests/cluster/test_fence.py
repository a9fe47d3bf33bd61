"""The store's fence against a paused owner, on the real Redis and PostgreSQL: once another
process took a room over, a write of the old owner — made while it still believed it owned
the room: a server edit, its recording — is refused by the store itself, and nothing of it
is relayed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map
from redis.asyncio import Redis

from cluster.conftest import REDIS_URL, until
from pairbook.cluster import Lease, LeaseKeeper
from pairbook.cluster.ownership import ClusterOwnership
from pairbook.errors import FencedError
from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import SyncUpdate, decode_message
from pairbook.record import Recorder, Replays
from pairbook.record.service import RecordingService
from pairbook.store import MemoryStore
from pairbook.store.postgres import PostgresStore
from pairbook.types import SERVER_USER
from support.leases import LeaseProcess
from support.postgres import fresh_schema
from support.servicekit import ROOM, Kit, service_kit

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


@contextlib.asynccontextmanager
async def paused_owner(
    redis: Redis, prefix: str, postgres_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Kit, Lease, PostgresStore]]:
    """Process a owning the room (its kit, its lease) by a keeper that runs no rounds and
    whose clock stands still: it goes on believing it owns the room. Also the store, on
    PostgreSQL too, that process b writes through."""
    async with (
        PostgresStore(postgres_url) as store_a,
        PostgresStore(postgres_url) as store_b,
        service_kit(tmp_path, store_a) as a,
    ):
        keeper = LeaseProcess(
            redis, f"{prefix}owner:", "a", TTL, clock=FrozenClock(), fence=store_a.raise_fence
        ).keeper
        lease = await keeper.claim(ROOM)
        assert lease is not None
        a.room.ownership = KeeperOwnership(keeper)  # type: ignore[assignment]
        yield a, lease, store_b


@contextlib.asynccontextmanager
async def taken_over(prefix: str, store: PostgresStore) -> AsyncIterator[ClusterOwnership]:
    """Process b, once it took the room over (the paused owner's lease ran out)."""
    b = ClusterOwnership(
        Redis.from_url(REDIS_URL), "b", prefix=prefix, ttl=TTL, fence=store.raise_fence
    )
    async with b:
        await until(lambda: b.claim(ROOM))
        yield b


def mark(value: str) -> Any:
    def edit(doc: Doc[Any]) -> None:
        doc.get("fence-test", type=Map)["by"] = value

    return edit


async def test_a_paused_owner_cannot_write_once_another_process_took_the_room(
    redis: Redis, prefix: str, postgres_url: str, tmp_path: Path
) -> None:
    async with paused_owner(redis, prefix, postgres_url, tmp_path) as (a, first, store_b):
        peer = await a.join("ann")
        written = await a.handle.apply_server_edit(mark("a, owner"), SERVER_USER)
        assert written is not None
        assert _updates(peer.end.unread()) == 1
        # a is paused now: it renews nothing; its lease runs out and b takes the room.
        async with taken_over(prefix, store_b) as b:
            second = b.keeper.held(ROOM)
            assert second is not None
            assert second.token > first.token
            # a wakes and writes as the owner it still believes it is: refused.
            assert a.room.ownership is not None
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
    async with paused_owner(redis, prefix, postgres_url, tmp_path) as (a, _lease, store_b):
        store_a = a.store
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
        async with taken_over(prefix, store_b):
            assert a.room.ownership is not None
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
        keeper = LeaseProcess(redis, prefix, "a", 5.0, fence=store.raise_fence).keeper
        lease = await keeper.claim(ROOM)
        assert lease is not None
        assert lease.token == 8
        assert await store.raise_fence(ROOM, 1) == 8


async def test_a_token_given_again_after_redis_lost_its_counter_is_not_trusted(
    redis: Redis, prefix: str
) -> None:
    async with MemoryStore() as store:
        await store.raise_fence(ROOM, 1)  # b's grant 1, before Redis restarted empty
        keeper = LeaseProcess(redis, prefix, "a", 5.0, fence=store.raise_fence).keeper
        lease = await keeper.claim(ROOM)  # Redis's counter gives 1 again: a gets 2 instead
        assert lease is not None
        assert lease.token == 2


async def test_a_lease_whose_fence_cannot_be_stored_is_given_back(
    redis: Redis, prefix: str
) -> None:
    store = MemoryStore()  # not open: every write fails with StoreError
    keeper = LeaseProcess(redis, prefix, "a", 5.0, fence=store.raise_fence).keeper
    assert await keeper.claim(ROOM) is None
    assert await keeper.leases.holder_of(ROOM) is None
