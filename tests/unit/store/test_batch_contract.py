"""Group commit, as the back ends that write in batches keep it (SQLite here, PostgreSQL in
tests/integration/store): appends of many rooms share one transaction, yet a write one room's
data cannot store fails that room's appends alone, in the order they were queued.

The appends of each test are queued while another session holds the write lock, so they
land in one batch: before, one refused row failed every append of the batch, of every room.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest

from pairbook.errors import FencedError, StoreError
from pairbook.store import Store
from support.refusals import batched, refuse_appends, taken, writes_held


async def _in_one_batch(store: Store, appends: list[Awaitable[int]]) -> list[int | BaseException]:
    with writes_held(store):
        first = asyncio.ensure_future(store.append("z.ipynb", b"first", "zoe", []))
        tasks = [asyncio.ensure_future(append) for append in appends]
        for _ in range(3):
            await asyncio.sleep(0)  # every append is queued behind the first
    results = await asyncio.gather(first, *tasks, return_exceptions=True)
    assert results[0] == 1, results  # a room with nothing refused
    return list(results[1:])


PEOPLE = {"a": ("ana", [2]), "b": ("bo", [3]), "c": ("cy", [4])}  # each room's one person


def _appends(store: Store, spec: str) -> list[Awaitable[int]]:
    """`"a:a1 b:b1"`: b"a1" appended to a.ipynb, then b"b1" to b.ipynb, each by its room's
    person (PEOPLE)."""
    appends: list[Awaitable[int]] = []
    for item in spec.split():
        room, update = item.split(":")
        user, claims = PEOPLE[room]
        appends.append(store.append(f"{room}.ipynb", update.encode(), user, claims))
    return appends


async def _updates(store: Store, room: str) -> list[bytes]:
    return [record.update for record in await store.records(room)]


async def test_a_room_whose_row_is_refused_fails_alone_and_the_batch_commits(store: Store) -> None:
    batched(store)
    for room in ("a.ipynb", "b.ipynb", "c.ipynb"):
        await store.append(room, b"base", "ana", [1])
    refuse_appends(store, "b.ipynb")
    results = await _in_one_batch(store, _appends(store, "a:a1 b:b1 a:a2 c:c1 b:b2"))
    assert [results[0], results[2], results[3]] == [2, 3, 2], results
    assert isinstance(results[1], StoreError), results
    assert "refused by the test" in str(results[1])
    assert isinstance(results[4], StoreError), results  # after the room's refused append
    assert await _updates(store, "a.ipynb") == [b"base", b"a1", b"a2"]
    assert await _updates(store, "b.ipynb") == [b"base"]
    assert await _updates(store, "c.ipynb") == [b"base", b"c1"]
    log = await store.load("a.ipynb")
    assert log is not None
    assert log.claims == {1: "ana", 2: "ana"}
    # the refused room's numbering has no gap once its rows are taken again
    assert await store.append("c.ipynb", b"c2", "cy", []) == 3


async def test_after_a_refused_append_the_rooms_later_appends_in_the_batch_fail_too(
    store: Store,
) -> None:
    """No record of a room is stored after one of its records that is not: the log never
    holds a change without the changes made before it."""
    batched(store)
    refuse_appends(store, "b.ipynb", b"bad")
    results = await _in_one_batch(store, _appends(store, "b:ok b:bad a:a1 b:after"))
    assert [results[0], results[2]] == [1, 1], results
    assert isinstance(results[1], StoreError)
    assert "refused by the test" in str(results[1])
    assert isinstance(results[3], StoreError), results
    assert await _updates(store, "b.ipynb") == [b"ok"]
    assert await store.append("b.ipynb", b"next", "bo", [3]) == 2


async def test_fences_are_checked_per_append_inside_a_batch(store: Store) -> None:
    batched(store)
    await store.raise_fence("a.ipynb", 5)
    refuse_appends(store, "c.ipynb")
    results = await _in_one_batch(
        store,
        [
            store.append("a.ipynb", b"old owner", "pairbook:server", [1], fence=4),
            store.append("b.ipynb", b"peer", "bo", [3]),
            store.append("a.ipynb", b"owner", "pairbook:server", [1], fence=5),
            store.append("c.ipynb", b"refused", "cy", [4]),
            store.append("a.ipynb", b"next owner", "pairbook:server", [1], fence=6),
        ],
    )
    assert isinstance(results[0], FencedError), results
    assert [results[1], results[2], results[4]] == [1, 1, 2], results
    assert isinstance(results[3], StoreError)
    assert not isinstance(results[3], FencedError)
    assert await _updates(store, "a.ipynb") == [b"owner", b"next owner"]
    with pytest.raises(FencedError):
        await store.append("a.ipynb", b"late", "pairbook:server", [1], fence=5)


async def test_a_rooms_appends_queued_before_its_failure_was_known_fail_in_later_batches(
    store: Store,
) -> None:
    """The room made them on top of the failed change before it learnt of the failure: the
    writer had already taken that change into a batch of its own when they were queued."""
    batched(store)
    await store.append("b.ipynb", b"ok", "bo", [3])
    refuse_appends(store, "b.ipynb", b"bad")
    with writes_held(store):
        bad = asyncio.ensure_future(store.append("b.ipynb", b"bad", "bo", [3]))
        await taken(store)  # in a batch of its own, waiting for the lock
        after = asyncio.ensure_future(store.append("b.ipynb", b"after", "bo", [3]))
        other = asyncio.ensure_future(store.append("a.ipynb", b"a1", "ana", [2]))
        await asyncio.sleep(0)  # both queued for the next batch
    results = await asyncio.gather(bad, after, other, return_exceptions=True)
    assert isinstance(results[0], StoreError), results
    assert "refused by the test" in str(results[0])
    assert isinstance(results[1], StoreError), results
    assert results[2] == 1, results
    assert await _updates(store, "b.ipynb") == [b"ok"]
    # what the room appends once it knows (reloaded from its log) is stored again
    assert await store.append("b.ipynb", b"reloaded", "bo", [3]) == 2


async def test_a_change_made_as_its_rooms_failure_is_handed_over_fails_too(store: Store) -> None:
    """The failure reaches the room's loop; a peer's frame handled there before the room's
    task waiting for the failed append runs makes a change on top of it: refused too (the
    room learns of the failure only once that task runs, and then reloads from its log)."""
    batched(store)
    await store.append("b.ipynb", b"ok", "bo", [3])
    refuse_appends(store, "b.ipynb", b"bad")
    writer: Any = getattr(store, "_writer", None)  # the future the room's task waits for
    bad: asyncio.Future[int] = writer.append("b.ipynb", b"bad", "bo", (3,), 0.0)
    learnt: list[BaseException] = []
    made: list[asyncio.Future[int]] = []

    def frame(_: object) -> None:  # runs right before the room's task wakes
        if not learnt:
            made.append(writer.append("b.ipynb", b"after", "bo", (3,), 0.0))

    bad.add_done_callback(frame)
    try:
        await bad  # the room's task
    except StoreError as exc:
        learnt.append(exc)
    assert learnt, "the refused append was stored"
    (after,) = await asyncio.gather(*made, return_exceptions=True)
    assert isinstance(after, StoreError), after
    assert await _updates(store, "b.ipynb") == [b"ok"]
