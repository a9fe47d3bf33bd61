"""The owner fence every store back end keeps: an append, or a write of the recording, fenced
by an older owner's token is refused once a later owner fenced the room (run against memory,
SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from pairbook.errors import FencedError, StoreError
from pairbook.store import Store
from pairbook.store.records import EventRecord


async def test_an_append_below_the_raised_fence_is_refused_and_stores_nothing(
    store: Store,
) -> None:
    assert await store.append("a.ipynb", b"base", "server", [1], fence=1) == 1
    assert await store.raise_fence("a.ipynb", 2) == 1  # the fence as it was
    with pytest.raises(FencedError, match=r"owner token 1: the process holding token 2"):
        await store.append("a.ipynb", b"late", "server", [1], fence=1)
    assert [r.update for r in await store.records("a.ipynb")] == [b"base"]
    assert await store.append("a.ipynb", b"new owner", "server", [1], fence=2) == 2


async def test_an_append_with_a_higher_token_raises_the_fence(store: Store) -> None:
    await store.append("a.ipynb", b"x", "server", [], fence=5)
    with pytest.raises(FencedError):
        await store.append("a.ipynb", b"y", "server", [], fence=4)
    assert await store.raise_fence("a.ipynb", 3) == 5  # not above the fence: not the newest
    assert await store.raise_fence("a.ipynb", 5) == 5  # nor is the same token again
    assert await store.append("a.ipynb", b"z", "server", [], fence=5) == 2


async def test_appends_without_a_fence_are_never_refused_by_it(store: Store) -> None:
    await store.raise_fence("a.ipynb", 9)
    assert await store.append("a.ipynb", b"peer", "alice", [3]) == 1


async def test_fences_are_per_room(store: Store) -> None:
    await store.raise_fence("a.ipynb", 7)
    assert await store.append("b.ipynb", b"x", "server", [], fence=1) == 1


async def test_a_refused_append_fails_alone_among_appends_committed_together(
    store: Store,
) -> None:
    await store.append("a.ipynb", b"base", "server", [], fence=3)
    results = await asyncio.gather(
        store.append("a.ipynb", b"peer 1", "alice", [1]),
        store.append("a.ipynb", b"stale", "server", [], fence=2),
        store.append("b.ipynb", b"other room", "bob", [2], fence=1),
        store.append("a.ipynb", b"peer 2", "alice", [1]),
        return_exceptions=True,
    )
    assert isinstance(results[1], FencedError)
    assert [r.update for r in await store.records("a.ipynb")] == [b"base", b"peer 1", b"peer 2"]
    assert [r.update for r in await store.records("b.ipynb")] == [b"other room"]


async def test_the_fence_outlives_dropping_the_room_and_reopening_the_store(
    store: Store, store_handle: Callable[[], Store]
) -> None:
    await store.raise_fence("a.ipynb", 4)
    await store.drop_room("a.ipynb")
    assert await store.rooms() == []  # a fence alone is not something stored in a room
    await store.close()
    async with store_handle() as again:
        with pytest.raises(FencedError):
            await again.append("a.ipynb", b"late", "server", [], fence=3)


@pytest.mark.parametrize("token", [0, -1, True, 1.5, "2"])
async def test_a_token_that_is_not_one_is_refused(store: Store, token: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        await store.raise_fence("a.ipynb", token)  # type: ignore[arg-type]
    with pytest.raises((TypeError, ValueError)):
        await store.append("a.ipynb", b"x", "server", [], fence=token)  # type: ignore[arg-type]
    assert await store.records("a.ipynb") == []


# --- the recording's writes: only the room's owner makes them, so they are fenced too ------


def event(seq: int, kind: str) -> EventRecord:
    return EventRecord("a.ipynb", seq, 1.0 * seq, kind, "alice", "{}")


async def _recorded_room(store: Store) -> None:
    """Four records, a snapshot and a checkpoint at 2, two events; the room fenced at 2."""
    for i in range(4):
        await store.append("a.ipynb", f"u{i}".encode(), "alice", [1])
    await store.save_snapshot("a.ipynb", b"s2", 2)
    await store.save_checkpoint("a.ipynb", b"c1", 1, fence=1)
    await store.append_events("a.ipynb", [event(1, "join"), event(3, "command")], fence=1)
    assert await store.raise_fence("a.ipynb", 2) == 1  # raised by the owner's writes


async def test_the_recordings_writes_below_the_fence_are_refused_and_store_nothing(
    store: Store,
) -> None:
    await _recorded_room(store)
    refusal = r"owner token 1: the process holding token 2 has taken the room over"
    with pytest.raises(FencedError, match=f"cannot write events of room 'a.ipynb' with {refusal}"):
        await store.append_events("a.ipynb", [event(4, "leave")], fence=1)
    with pytest.raises(FencedError, match=f"cannot save a checkpoint of .* with {refusal}"):
        await store.save_checkpoint("a.ipynb", b"c3", 3, fence=1)
    with pytest.raises(FencedError, match=f"cannot prune the recording of .* with {refusal}"):
        await store.prune_recording("a.ipynb", 2, fence=1)
    assert [e.kind for e in await store.events("a.ipynb")] == ["join", "command"]
    assert await store.checkpoint_seqs("a.ipynb") == [1]
    assert [r.seq for r in await store.records("a.ipynb")] == [1, 2, 3, 4]


async def test_the_recordings_writes_of_the_owner_land_and_raise_the_fence(
    store: Store,
) -> None:
    await _recorded_room(store)
    await store.append_events("a.ipynb", [event(4, "leave")], fence=2)
    await store.save_checkpoint("a.ipynb", b"c2", 2, fence=3)
    assert await store.prune_recording("a.ipynb", 2, fence=3) == 2
    assert [e.kind for e in await store.events("a.ipynb")] == ["command", "leave"]
    assert await store.checkpoint_seqs("a.ipynb") == [2]
    assert await store.raise_fence("a.ipynb", 1) == 3
    # Unfenced, as a process that is no owner writes them (replay checkpoints): never refused.
    await store.save_checkpoint("a.ipynb", b"c3", 3)
    await store.append_events("a.ipynb", [event(4, "awareness")])
    assert await store.checkpoint_seqs("a.ipynb") == [2, 3]


async def test_a_write_refused_for_another_reason_does_not_raise_the_fence(store: Store) -> None:
    await store.append("a.ipynb", b"u", "alice", [1])
    with pytest.raises(StoreError, match="log ends at seq 1"):
        await store.save_checkpoint("a.ipynb", b"c", 2, fence=9)
    with pytest.raises(StoreError, match="save a snapshot up to seq 1 first"):
        await store.prune_recording("a.ipynb", 1, fence=9)
    assert await store.raise_fence("a.ipynb", 1) == 0


async def test_a_refused_recording_write_fails_alone_among_writes_committed_together(
    store: Store,
) -> None:
    await store.append("a.ipynb", b"base", "server", [], fence=3)
    results = await asyncio.gather(
        store.append_events("a.ipynb", [event(1, "join")], fence=3),
        store.append_events("a.ipynb", [event(1, "stale")], fence=2),
        store.append("a.ipynb", b"peer", "alice", [1]),
        store.save_checkpoint("a.ipynb", b"stale", 1, fence=2),
        store.append_events("b.ipynb", [event(0, "other room")], fence=1),
        return_exceptions=True,
    )
    assert [type(r) for r in results] == [
        type(None), FencedError, int, FencedError, type(None),
    ]  # fmt: skip
    assert [e.kind for e in await store.events("a.ipynb")] == ["join"]
    assert [e.kind for e in await store.events("b.ipynb")] == ["other room"]
    assert await store.checkpoint_seqs("a.ipynb") == []
    assert [r.update for r in await store.records("a.ipynb")] == [b"base", b"peer"]
