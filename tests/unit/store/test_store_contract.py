"""The behaviour every store back end shares, run against MemoryStore and SQLiteStore."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from pairbook.errors import StoreError
from pairbook.store import Store, UpdateRecord


async def append_many(store: Store, room: str, count: int, user_id: str = "alice") -> list[int]:
    return [await store.append(room, f"u{i}".encode(), user_id, [i]) for i in range(count)]


async def test_appends_are_numbered_from_one_in_each_room(store: Store) -> None:
    assert await append_many(store, "a.ipynb", 3) == [1, 2, 3]
    assert await append_many(store, "b.ipynb", 2) == [1, 2]
    assert await store.append("a.ipynb", b"more", "bob", []) == 4


async def test_load_returns_every_record_in_seq_order_with_author_and_time(
    store: Store, clock_readings: list[float]
) -> None:
    await store.append("a.ipynb", b"\x01\x02", "alice", [11, 12])
    await store.append("a.ipynb", b"\x03", "bob", (13,))
    log = await store.load("a.ipynb")
    assert log is not None
    assert log.updates == (
        UpdateRecord("a.ipynb", 1, b"\x01\x02", "alice", (11, 12), clock_readings[0]),
        UpdateRecord("a.ipynb", 2, b"\x03", "bob", (13,), clock_readings[1]),
    )
    assert (log.snapshot, log.snapshot_seq, log.last_seq) == (None, 0, 2)


async def test_loading_a_room_with_nothing_stored_gives_none(store: Store) -> None:
    await store.append("a.ipynb", b"x", "alice", [])
    assert await store.load("never-seen.ipynb") is None


async def test_rooms_are_independent(store: Store) -> None:
    await store.append("a.ipynb", b"a1", "alice", [1])
    await store.append("b.ipynb", b"b1", "bob", [1])
    await store.append("a.ipynb", b"a2", "alice", [1])
    await store.set_meta("b.ipynb", "history_id", "hb")
    a, b = await store.load("a.ipynb"), await store.load("b.ipynb")
    assert a is not None
    assert b is not None
    assert [r.update for r in a.updates] == [b"a1", b"a2"]
    assert [r.update for r in b.updates] == [b"b1"]
    assert (a.claims, b.claims) == ({1: "alice"}, {1: "bob"})
    assert (a.meta, b.meta) == ({}, {"history_id": "hb"})


async def test_rooms_lists_every_room_with_anything_stored_sorted(store: Store) -> None:
    assert await store.rooms() == []
    await store.append("z.ipynb", b"x", "alice", [])
    await store.set_meta("m.ipynb", "history_id", "h")
    await store.claim("c.ipynb", 7, "pairbook:server")
    await store.append("a/b.ipynb", b"x", "alice", [])
    assert await store.rooms() == ["a/b.ipynb", "c.ipynb", "m.ipynb", "z.ipynb"]


async def test_load_gives_the_snapshot_and_only_the_records_after_it(store: Store) -> None:
    await append_many(store, "a.ipynb", 5)
    await store.save_snapshot("a.ipynb", b"merged-1-3", 3)
    log = await store.load("a.ipynb")
    assert log is not None
    assert (log.snapshot, log.snapshot_seq) == (b"merged-1-3", 3)
    assert [r.seq for r in log.updates] == [4, 5]
    assert log.last_seq == 5


async def test_a_snapshot_keeps_the_records_it_covers_for_replay(store: Store) -> None:
    await append_many(store, "a.ipynb", 3)
    await store.save_snapshot("a.ipynb", b"merged", 3)
    assert [r.seq for r in await store.records("a.ipynb")] == [1, 2, 3]


async def test_a_newer_snapshot_replaces_the_old_one_and_an_older_one_is_ignored(
    store: Store,
) -> None:
    await append_many(store, "a.ipynb", 6)
    await store.save_snapshot("a.ipynb", b"upto-4", 4)
    await store.save_snapshot("a.ipynb", b"upto-2", 2)
    log = await store.load("a.ipynb")
    assert log is not None
    assert (log.snapshot, log.snapshot_seq) == (b"upto-4", 4)
    await store.save_snapshot("a.ipynb", b"upto-6", 6)
    log = await store.load("a.ipynb")
    assert log is not None
    assert (log.snapshot, log.snapshot_seq, log.updates) == (b"upto-6", 6, ())


async def test_a_snapshots_meta_is_set_with_it_and_not_by_an_older_one(store: Store) -> None:
    # Two processes snapshot a room; the one behind writes last (it was paused): the meta
    # describing the kept snapshot (its protected ranges) must stay that snapshot's.
    await append_many(store, "a.ipynb", 6)
    await store.save_snapshot("a.ipynb", b"upto-4", 4, meta={"ranges": "1..4", "k": "4"})
    await store.save_snapshot("a.ipynb", b"upto-2", 2, meta={"ranges": "1..2"})
    log = await store.load("a.ipynb")
    assert log is not None
    assert (log.snapshot_seq, log.meta) == (4, {"ranges": "1..4", "k": "4"})
    await store.save_snapshot("a.ipynb", b"upto-6", 6, meta={"ranges": "1..6"})
    await store.save_snapshot("a.ipynb", b"upto-6", 6)  # without meta: the meta stays
    log = await store.load("a.ipynb")
    assert log is not None
    assert log.meta == {"ranges": "1..6", "k": "4"}


async def test_a_snapshot_beyond_the_end_of_the_log_is_refused(store: Store) -> None:
    await append_many(store, "a.ipynb", 2)
    with pytest.raises(StoreError, match="log ends at seq 2"):
        await store.save_snapshot("a.ipynb", b"merged", 3)
    with pytest.raises(StoreError, match="log ends at seq 0"):
        await store.save_snapshot("empty.ipynb", b"merged", 1)
    with pytest.raises(ValueError, match="upto_seq must be >= 1"):
        await store.save_snapshot("a.ipynb", b"merged", 0)
    assert await store.load("empty.ipynb") is None


async def test_prune_deletes_the_records_a_snapshot_covers(store: Store) -> None:
    await append_many(store, "a.ipynb", 5)
    await store.save_snapshot("a.ipynb", b"merged", 4)
    assert await store.prune("a.ipynb", 3) == 3
    assert [r.seq for r in await store.records("a.ipynb")] == [4, 5]
    assert await store.prune("a.ipynb", 4) == 1
    log = await store.load("a.ipynb")
    assert log is not None
    assert (log.snapshot, log.snapshot_seq, [r.seq for r in log.updates]) == (b"merged", 4, [5])


async def test_prune_beyond_the_snapshot_is_refused_and_deletes_nothing(store: Store) -> None:
    await append_many(store, "a.ipynb", 5)
    with pytest.raises(StoreError, match="it has no snapshot"):
        await store.prune("a.ipynb", 1)
    await store.save_snapshot("a.ipynb", b"merged", 3)
    with pytest.raises(StoreError, match=r"covers up to seq 3; save a snapshot up to seq 4"):
        await store.prune("a.ipynb", 4)
    assert [r.seq for r in await store.records("a.ipynb")] == [1, 2, 3, 4, 5]


async def test_a_refused_write_does_not_disturb_the_writes_around_it(store: Store) -> None:
    results = await asyncio.gather(
        store.append("a.ipynb", b"1", "alice", []),
        store.prune("a.ipynb", 1),
        store.append("a.ipynb", b"2", "alice", []),
        return_exceptions=True,
    )
    assert results[0] == 1
    assert isinstance(results[1], StoreError)
    assert results[2] == 2
    assert [r.update for r in await store.records("a.ipynb")] == [b"1", b"2"]


async def test_numbering_goes_on_after_everything_was_pruned(store: Store) -> None:
    await append_many(store, "a.ipynb", 3)
    await store.save_snapshot("a.ipynb", b"merged", 3)
    await store.prune("a.ipynb", 3)
    assert await store.append("a.ipynb", b"next", "alice", []) == 4


async def test_the_first_claim_of_a_client_id_wins(store: Store) -> None:
    await store.append("a.ipynb", b"x", "alice", [1, 2])
    await store.append("a.ipynb", b"y", "bob", [2, 3])
    await store.claim("a.ipynb", 1, "mallory")
    await store.claim("a.ipynb", 9, "pairbook:server")
    await store.append("b.ipynb", b"z", "bob", [1])
    log = await store.load("a.ipynb")
    assert log is not None
    assert log.claims == {1: "alice", 2: "alice", 3: "bob", 9: "pairbook:server"}


async def test_the_first_claim_wins_among_appends_written_together(store: Store) -> None:
    await asyncio.gather(
        store.append("a.ipynb", b"x", "alice", [5, 6]),
        store.append("a.ipynb", b"y", "bob", [6, 5, 7]),
        store.append("a.ipynb", b"z", "carol", [7]),
    )
    log = await store.load("a.ipynb")
    assert log is not None
    assert log.claims == {5: "alice", 6: "alice", 7: "bob"}


async def test_meta_values_are_set_and_overwritten_per_room(store: Store) -> None:
    await store.set_meta("a.ipynb", "history_id", "h1")
    await store.set_meta("a.ipynb", "kernel", "python3")
    await store.set_meta("a.ipynb", "history_id", "h2")
    log = await store.load("a.ipynb")
    assert log is not None
    assert log.meta == {"history_id": "h2", "kernel": "python3"}
    assert (log.updates, log.snapshot) == ((), None)


async def test_meta_is_read_alone_as_load_gives_it(store: Store) -> None:
    assert await store.meta("a.ipynb") == {}  # nothing stored
    await append_many(store, "a.ipynb", 3)
    assert await store.meta("a.ipynb") == {}  # records, no meta
    await store.set_meta("a.ipynb", "file_sha", "s1")
    await store.set_meta("b.ipynb", "file_sha", "another room's")
    await store.save_snapshot("a.ipynb", b"merged-1-2", 2, meta={"protected": "[]"})
    await store.set_meta("a.ipynb", "file_sha", "s2")
    log = await store.load("a.ipynb")
    assert log is not None
    assert await store.meta("a.ipynb") == log.meta == {"file_sha": "s2", "protected": "[]"}


async def test_records_pages_through_the_log(store: Store) -> None:
    await append_many(store, "a.ipynb", 10)
    assert [r.seq for r in await store.records("a.ipynb", limit=4)] == [1, 2, 3, 4]
    assert [r.seq for r in await store.records("a.ipynb", after_seq=4, limit=4)] == [5, 6, 7, 8]
    assert [r.seq for r in await store.records("a.ipynb", after_seq=8, limit=4)] == [9, 10]
    assert await store.records("a.ipynb", after_seq=10) == []
    assert await store.records("a.ipynb", limit=0) == []
    assert await store.records("unknown.ipynb") == []
    with pytest.raises(ValueError, match="limit"):
        await store.records("a.ipynb", limit=-1)


async def test_drop_room_forgets_the_room_and_restarts_its_numbering(store: Store) -> None:
    await append_many(store, "a.ipynb", 3)
    await append_many(store, "b.ipynb", 1)
    await store.save_snapshot("a.ipynb", b"merged", 2)
    await store.set_meta("a.ipynb", "history_id", "h")
    await store.drop_room("a.ipynb")
    assert await store.load("a.ipynb") is None
    assert await store.rooms() == ["b.ipynb"]
    assert await store.append("a.ipynb", b"new", "alice", []) == 1
    await store.drop_room("never-seen.ipynb")


async def test_500_concurrent_appends_are_all_stored_with_distinct_seqs(
    store_handle: Callable[[], Store], store: Store
) -> None:
    rooms = ["a.ipynb", "b.ipynb"]
    seqs = await asyncio.gather(
        *(store.append(rooms[i % 2], i.to_bytes(2, "big"), f"user{i}", [i]) for i in range(500))
    )
    assert sorted(seqs[0::2]) == list(range(1, 251))
    assert sorted(seqs[1::2]) == list(range(1, 251))
    await store.close()
    async with store_handle() as reopened:
        for offset, room in enumerate(rooms):
            stored = {r.seq: r.update for r in await reopened.records(room)}
            sent = {seqs[i]: i.to_bytes(2, "big") for i in range(offset, 500, 2)}
            assert stored == sent


async def test_appends_keep_the_order_in_which_they_were_called(store: Store) -> None:
    updates = [i.to_bytes(2, "big") for i in range(100)]
    await asyncio.gather(*(store.append("a.ipynb", u, "alice", []) for u in updates))
    assert [r.update for r in await store.records("a.ipynb")] == updates


async def test_appending_after_close_raises_store_error(store: Store) -> None:
    await store.close()
    with pytest.raises(StoreError, match="store is closed, expected open"):
        await store.append("a.ipynb", b"x", "alice", [])
    with pytest.raises(StoreError, match="store is closed"):
        await store.load("a.ipynb")


async def test_a_store_must_be_opened_before_use_and_only_once(
    store_handle: Callable[[], Store],
) -> None:
    store = store_handle()
    with pytest.raises(StoreError, match="async with store"):
        await store.append("a.ipynb", b"x", "alice", [])
    async with store:
        with pytest.raises(StoreError, match="it is open, expected closed"):
            await store.open()
    await store.close()


async def test_client_ids_must_be_client_ids(store: Store) -> None:
    with pytest.raises(ValueError, match="outside"):
        await store.append("a.ipynb", b"x", "alice", [-1])
    with pytest.raises(ValueError, match="integers"):
        await store.append("a.ipynb", b"x", "alice", ["1"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must be bytes"):
        await store.append("a.ipynb", "x", "alice", [])  # type: ignore[arg-type]
    assert await store.load("a.ipynb") is None


async def test_stats_count_acknowledged_appends(store: Store) -> None:
    await asyncio.gather(*(store.append("a.ipynb", b"x", "alice", []) for _ in range(20)))
    stats = store.stats()
    assert stats.appends == 20
    assert 1 <= stats.commits <= 20
    assert stats.pending == 0
    assert stats.failed_commits == 0
