"""The recording part of the store contract: events, replay checkpoints, stamps, retention."""

from __future__ import annotations

import pytest

from pairbook.errors import StoreError
from pairbook.store import Store
from pairbook.store.records import EventRecord, Stamp


def event(seq: int, kind: str, user: str = "alice", data: str = "{}") -> EventRecord:
    return EventRecord("a.ipynb", seq, 1.0 * seq, kind, user, data)


async def test_events_come_back_in_order_filtered_by_seq_and_kind(store: Store) -> None:
    await store.append("a.ipynb", b"u1", "alice", [1])
    await store.append_events("a.ipynb", [event(0, "join"), event(1, "awareness")])
    await store.append_events("a.ipynb", [event(1, "command", "bob"), event(3, "leave")])
    assert [e.kind for e in await store.events("a.ipynb")] == [
        "join", "awareness", "command", "leave",
    ]  # fmt: skip
    assert [e.kind for e in await store.events("a.ipynb", 1, 1)] == ["awareness", "command"]
    only = await store.events("a.ipynb", kinds=["command", "leave"])
    assert [(e.kind, e.user_id) for e in only] == [("command", "bob"), ("leave", "alice")]
    assert await store.events("other.ipynb") == []


async def test_the_nearest_checkpoint_at_or_before_a_moment_is_found(store: Store) -> None:
    for i in range(6):
        await store.append("a.ipynb", f"u{i}".encode(), "alice", [i])
    await store.save_checkpoint("a.ipynb", b"c2", 2)
    await store.save_checkpoint("a.ipynb", b"c5", 5)
    assert await store.checkpoint("a.ipynb", 1) is None
    found = await store.checkpoint("a.ipynb", 4)
    assert found is not None
    assert (found.upto_seq, found.snapshot) == (2, b"c2")
    found = await store.checkpoint("a.ipynb", 6)
    assert found is not None
    assert found.snapshot == b"c5"
    assert await store.checkpoint_seqs("a.ipynb") == [2, 5]


async def test_a_checkpoint_beyond_the_log_is_refused(store: Store) -> None:
    await store.append("a.ipynb", b"u", "alice", [1])
    with pytest.raises(StoreError, match="log ends at seq 1"):
        await store.save_checkpoint("a.ipynb", b"c", 2)


async def test_stamps_and_seq_at_give_who_and_when_without_the_bytes(
    store: Store, clock_readings: list[float]
) -> None:
    await store.append("a.ipynb", b"u1", "alice", [1])
    await store.append("a.ipynb", b"u2", "bob", [2])
    await store.append("a.ipynb", b"u3", "alice", [1])
    t1, t2, t3 = clock_readings[:3]
    assert await store.stamps("a.ipynb", 1) == [Stamp(2, t2, "bob"), Stamp(3, t3, "alice")]
    assert await store.stamps("a.ipynb", 0, limit=1) == [Stamp(1, t1, "alice")]
    assert await store.seq_at("a.ipynb", t1 - 0.5) == 0
    assert await store.seq_at("a.ipynb", t2) == 2
    assert await store.seq_at("a.ipynb", t3 + 100) == 3


async def test_pruning_the_recording_keeps_the_moments_after_it(store: Store) -> None:
    for i in range(6):
        await store.append("a.ipynb", f"u{i}".encode(), "alice", [i])
    await store.save_checkpoint("a.ipynb", b"c2", 2)
    await store.save_checkpoint("a.ipynb", b"c4", 4)
    await store.append_events("a.ipynb", [event(1, "join"), event(4, "run"), event(5, "leave")])
    with pytest.raises(StoreError, match="snapshot"):
        await store.prune_recording("a.ipynb", 4)
    await store.save_snapshot("a.ipynb", b"s5", 5)
    assert await store.prune_recording("a.ipynb", 4) == 4
    assert [r.seq for r in await store.records("a.ipynb")] == [5, 6]
    assert await store.checkpoint_seqs("a.ipynb") == [4]
    assert [e.kind for e in await store.events("a.ipynb")] == ["run", "leave"]


async def test_dropping_a_room_forgets_its_recording(store: Store) -> None:
    await store.append("a.ipynb", b"u", "alice", [1])
    await store.save_checkpoint("a.ipynb", b"c", 1)
    await store.append_events("a.ipynb", [event(1, "join")])
    await store.drop_room("a.ipynb")
    assert await store.events("a.ipynb") == []
    assert await store.checkpoint_seqs("a.ipynb") == []
