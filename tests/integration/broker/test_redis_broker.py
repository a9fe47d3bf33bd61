"""RedisBroker on a real Redis: two processes' room cores on one store share a room through
one stream per room; a late joiner; claims and locks; a Redis restarted mid-session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio
from pycrdt import Text

from pairbook.broker import Broker, DocEntry, open_broker
from pairbook.broker.redis import RedisBroker
from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.messages import AwarenessMessage, encode_awareness, encode_sync_update
from support.brokerkit import (
    ROOM,
    ana_and_bob,
    eventually,
    open_process,
    shared_store,
    two_processes,
)
from support.redis import fresh_prefix, own_redis

pytestmark = pytest.mark.integration


def scratch(process: object) -> str:
    return str(process.room.doc.get("scratch", type=Text))  # type: ignore[attr-defined]


@pytest.fixture
def brokers(redis_url: str) -> Callable[[], Broker]:
    return lambda: open_broker(redis_url)


async def test_updates_and_awareness_cross_over_redis_as_the_same_bytes(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with ana_and_bob(tmp_path, brokers) as (a, ana, b, bob, store):
        frame = encode_sync_update(ana.edit("hello"))
        await a.send(ana, frame)
        await eventually(lambda: bob.read() is not None and bob.text() == "hello")
        assert frame in bob.frames
        await b.send(bob, encode_sync_update(bob.edit(" world")))
        await eventually(lambda: ana.read() is not None and ana.text() == "hello world")
        assert scratch(a) == scratch(b) == "hello world"
        assert a.room.last_seq == b.room.last_seq == (await store.records(ROOM))[-1].seq
        payload = encode_awareness_update((AwarenessEntry(101, 1, {"cursor": 5}),))
        await a.send(ana, encode_awareness(payload))
        await eventually(lambda: any(isinstance(m, AwarenessMessage) for m in bob.read()))


async def test_a_late_joiner_reads_the_stream_from_before_its_load(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with shared_store(tmp_path) as (path, store), brokers() as first, brokers() as second:
        a = await open_process(path, store, first)
        ana = await a.join("ana", 101)
        for word in ("one ", "two ", "three "):
            await a.send(ana, encode_sync_update(ana.edit(word)))
        b = await open_process(path, store, second)
        await a.send(ana, encode_sync_update(ana.edit("four")))
        await eventually(lambda: scratch(b) == "one two three four", processes=(b,))
        assert b.feed.remote_updates == 1
        assert b.room.last_seq == a.room.last_seq
        ana.sender.cancel()


async def test_a_client_id_is_claimed_once_and_a_lock_or_lease_held_once(redis_url: str) -> None:
    async with open_broker(redis_url) as first, open_broker(redis_url) as second:
        assert await first.claim("r", 7, "ana") == "ana"
        assert await second.claim("r", 7, "mallory") == "ana"
        assert await second.claim("other", 7, "mallory") == "mallory"
        async with first.lock("r", "snapshot") as mine:
            assert mine
            async with second.lock("r", "snapshot") as theirs:
                assert not theirs
        async with second.lock("r", "snapshot") as theirs:
            assert theirs
        # A lease is held by one process, renewed by it alone, and free once released.
        assert await second.holder("r", "files") is None
        assert await first.hold("r", "files", 10.0)
        assert not await second.hold("r", "files", 10.0)
        assert await second.holder("r", "files") == first.origin  # where to forward to
        assert await first.hold("r", "files", 10.0)
        await second.release("r", "files")  # not its to release
        assert not await second.hold("r", "files", 10.0)
        await first.release("r", "files")
        assert await second.hold("r", "files", 10.0)
        assert await first.holder("r", "files") == second.origin


async def test_a_stream_keeps_only_its_window_and_expires(redis_url: str) -> None:
    async with RedisBroker(redis_url, window=0.001) as broker:
        client = redis.asyncio.Redis.from_url(broker.url)
        try:
            entry = DocEntry(1, encode_sync_update(b"\x00\x00"), "ana", (1,))
            for _ in range(300):
                broker.publish("r", entry)
            await eventually(lambda: broker.stats().published == 300)
            await asyncio.sleep(0.01)  # the first entries fall out of the 1 ms window
            for _ in range(300):
                broker.publish("r", entry)
            await eventually(lambda: broker.stats().published == 600)
            # MINID ~ trims whole nodes of the stream (100 entries each), never the new ones.
            assert await client.xlen(broker.stream_key("r")) < 400
            assert await client.pttl(broker.stream_key("r")) > 0
        finally:
            await client.aclose()


async def test_redis_restarted_mid_session_each_process_goes_on_and_catches_up(
    tmp_path: Path,
) -> None:
    with own_redis(tmp_path / "redis") as server, fresh_prefix(server.url) as url:
        async with two_processes(tmp_path, lambda: open_broker(url)) as (a, b, _store):
            ana, amy = await a.join("ana", 101), await a.join("amy", 103)
            bob = await b.join("bob", 102)
            await a.send(ana, encode_sync_update(ana.edit("A")))
            await eventually(lambda: scratch(b) == "A")
            server.stop()
            # Each process goes on alone: its own peers see each other's edits at once.
            await a.send(ana, encode_sync_update(ana.edit("a")))
            await b.send(bob, encode_sync_update(bob.edit("b")))
            amy.read()
            assert "a" in amy.text()
            assert "b" not in scratch(a)
            server.start()
            # Back: each reads what it missed from the log, and hands on what waited.
            await eventually(lambda: scratch(a) == scratch(b) and len(scratch(a)) == 3,
                             processes=(a, b), within=20)  # fmt: skip
            await b.send(bob, encode_sync_update(bob.edit("!")))
            await eventually(lambda: scratch(a).endswith("!"), processes=(a, b))
            amy.read()
            assert amy.text() == scratch(b)
            assert a.room.last_seq == b.room.last_seq


async def test_updates_waiting_for_redis_are_bounded_in_bytes(tmp_path: Path) -> None:
    # Redis away (or slow) while big updates are published: what waits is bounded in bytes
    # too, not only in entries (10,000 updates of up to 8 MB each: 80 GB).
    frame = bytes(8 * 1024 * 1024)  # the largest update a room takes, one object shared
    with own_redis(tmp_path / "redis") as server:
        async with RedisBroker(server.url) as broker:  # a Redis of its own: no prefix
            server.stop()
            for seq in range(1, 10):
                broker.publish(ROOM, DocEntry(seq, frame, "ana", (101,)))
            stats = broker.stats()
    assert (stats.pending, stats.dropped) == (8, 1)  # 64 MB wait


async def test_updates_given_up_on_for_their_bytes_go_out_as_a_marker(tmp_path: Path) -> None:
    # The oldest updates given up on become one marker: the others read them from the log.
    with own_redis(tmp_path / "redis") as server, fresh_prefix(server.url) as url:
        async with RedisBroker(url, outbox_bytes=1_000_000) as broker:
            server.stop()
            for seq in range(1, 21):
                broker.publish(ROOM, DocEntry(seq, bytes(100_000), "ana", (101,)))
            stats = broker.stats()
            assert (stats.pending, stats.dropped) == (10, 10)
            server.start()
            client = redis.asyncio.Redis.from_url(server.url)
            try:
                key = broker.stream_key(ROOM)
                async with asyncio.timeout(20):
                    while await client.xlen(key) < 11:  # noqa: ASYNC110 (Redis holds it)
                        await asyncio.sleep(0.05)
                entries = await client.xrange(key)
            finally:
                await client.aclose()
    assert entries is not None
    seqs = []
    for _, fields in entries:
        assert fields is not None
        seqs.append((int(fields[b"s"]), len(fields[b"f"])))
    assert seqs == [(10, 0), *((seq, 100_000) for seq in range(11, 21))]
