"""RoomLeases against the real Redis: one holder at a time, tokens that only grow."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from cluster.conftest import until
from pairbook.cluster import Lease, RoomLeases
from pairbook.errors import ClusterError

pytestmark = pytest.mark.cluster


def leases_of(redis: Redis, prefix: str, holder: str, ttl: float = 5.0) -> RoomLeases:
    return RoomLeases(redis, holder, prefix=prefix, ttl=ttl)


async def test_only_one_of_two_processes_gets_a_free_room(redis: Redis, prefix: str) -> None:
    a, b = leases_of(redis, prefix, "a"), leases_of(redis, prefix, "b")
    first = await a.acquire("demo.ipynb")
    second = await b.acquire("demo.ipynb")
    assert first is not None
    assert first.holder == "a"
    assert second is None
    assert await b.holder_of("demo.ipynb") == first


async def test_rooms_are_leased_independently(redis: Redis, prefix: str) -> None:
    a, b = leases_of(redis, prefix, "a"), leases_of(redis, prefix, "b")
    assert await a.acquire("one.ipynb") is not None
    got = await b.acquire("two.ipynb")
    assert got is not None
    assert got.holder == "b"


async def test_a_released_room_goes_to_the_next_process_with_a_larger_token(
    redis: Redis, prefix: str
) -> None:
    a, b = leases_of(redis, prefix, "a"), leases_of(redis, prefix, "b")
    first = await a.acquire("demo.ipynb")
    assert first is not None
    assert await a.release(first)
    second = await b.acquire("demo.ipynb")
    assert second is not None
    assert second.holder == "b"
    assert second.token > first.token


async def test_an_expired_lease_is_taken_over_and_the_old_owner_cannot_renew_it(
    redis: Redis, prefix: str
) -> None:
    a, b = leases_of(redis, prefix, "a", ttl=0.3), leases_of(redis, prefix, "b")
    old = await a.acquire("demo.ipynb")
    assert old is not None
    await until(lambda: _free(b, "demo.ipynb"))
    new = await b.acquire("demo.ipynb")
    assert new is not None
    assert new.token > old.token
    # The paused old owner wakes up: its renewal and its release find another grant.
    assert not await a.renew(old)
    assert not await a.release(old)
    assert not await a.is_current(old)
    assert await b.is_current(new)
    assert await b.holder_of("demo.ipynb") == new


async def test_a_renewed_lease_stays_with_its_owner(redis: Redis, prefix: str) -> None:
    a = leases_of(redis, prefix, "a", ttl=2.0)
    lease = await a.acquire("demo.ipynb")
    assert lease is not None
    assert await a.renew(lease)
    remaining = await redis.pttl(a.lease_key("demo.ipynb"))
    assert 0 < remaining <= 2000


async def test_tokens_grow_across_every_grant(redis: Redis, prefix: str) -> None:
    processes = [leases_of(redis, prefix, f"p{i}") for i in range(5)]
    tokens = []
    for _ in range(3):
        for leases in processes:
            lease = await leases.acquire("demo.ipynb")
            assert lease is not None
            tokens.append(lease.token)
            assert await leases.release(lease)
    assert tokens == sorted(tokens)
    assert len(set(tokens)) == len(tokens)


async def test_concurrent_contenders_get_exactly_one_grant(redis: Redis, prefix: str) -> None:
    import asyncio

    processes = [leases_of(redis, prefix, f"p{i}") for i in range(8)]
    grants = await asyncio.gather(*(p.acquire("demo.ipynb") for p in processes))
    assert len([g for g in grants if g is not None]) == 1


async def test_a_lease_key_pairbook_did_not_write_is_an_error(redis: Redis, prefix: str) -> None:
    a = leases_of(redis, prefix, "a")
    await redis.set(a.lease_key("demo.ipynb"), "garbage")
    with pytest.raises(ClusterError, match="did not write"):
        await a.holder_of("demo.ipynb")


async def test_an_unreachable_redis_is_a_clear_error() -> None:
    # No retries: redis-py's default backs off ~4 s before raising, which the client
    # pairbook builds keeps; what is checked here is how RoomLeases words the failure.
    nowhere = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    try:
        with pytest.raises(ClusterError, match="Redis did not answer"):
            await RoomLeases(nowhere, "a").acquire("demo.ipynb")
    finally:
        await nowhere.aclose()


def test_a_process_id_is_one_word() -> None:
    with pytest.raises(ValueError, match="non-empty word"):
        RoomLeases(Redis(), "two words")


def test_a_lease_value_reads_back() -> None:
    lease = Lease("demo.ipynb", "host-1-abc", 42)
    assert Lease.parse("demo.ipynb", lease.value.encode()) == lease


async def _free(leases: RoomLeases, room: str) -> bool:
    return await leases.holder_of(room) is None
