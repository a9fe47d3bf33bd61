"""SQLiteStore does what MemoryStore, the spec, does, for any sequence of calls."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pairbook.store import MemoryStore, SQLiteStore, Store

Call = Callable[[Store], Awaitable[Any]]

rooms = st.sampled_from(["a.ipynb", "a.ipynb", "a.ipynb", "b.ipynb"])
users = st.sampled_from(["alice", "bob"])
client_ids = st.lists(st.integers(min_value=0, max_value=4), max_size=3)


def _call(name: str, *args: Any) -> Call:
    async def call(store: Store) -> Any:
        return await getattr(store, name)(*args)

    call.__qualname__ = f"{name}{args!r}"
    return call


def weighted(*choices: tuple[int, st.SearchStrategy[Call]]) -> st.SearchStrategy[Call]:
    strategies = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(strategies).flatmap(lambda strategy: strategy)


# Weighted so that snapshots and prunes often meet a log long enough to act on.
calls = weighted(
    (10, st.builds(partial(_call, "append"), rooms, st.binary(max_size=4), users, client_ids)),
    (
        4,
        st.builds(partial(_call, "save_snapshot"), rooms, st.binary(max_size=4), st.integers(0, 3)),
    ),
    (2, st.builds(partial(_call, "prune"), rooms, st.integers(0, 4))),
    (1, st.builds(partial(_call, "set_meta"), rooms, st.sampled_from(["k", "l"]), users)),
    (1, st.builds(partial(_call, "claim"), rooms, st.integers(0, 4), users)),
    (1, st.builds(partial(_call, "drop_room"), rooms)),
)


def outcome(result: object) -> object:
    """A result, or an exception reduced to what can be compared: its type and message."""
    if isinstance(result, BaseException):
        return (type(result), str(result))
    return result


def split(script: list[tuple[Call, bool]]) -> list[list[Call]]:
    """Cut the calls into steps, a new step wherever the flag says so."""
    steps: list[list[Call]] = []
    for call, new_step in script:
        if new_step or not steps:
            steps.append([])
        steps[-1].append(call)
    return steps


async def play(store: Store, script: list[tuple[Call, bool]]) -> list[object]:
    """Run each step's calls concurrently, then read everything back."""
    seen: list[object] = []
    async with store:
        for step in split(script):
            results = await asyncio.gather(*(call(store) for call in step), return_exceptions=True)
            seen.extend(outcome(result) for result in results)
        seen.append(await store.rooms())
        for room in ("a.ipynb", "b.ipynb"):
            seen.append(await store.load(room))
            seen.append(await store.records(room, after_seq=1, limit=3))
    return seen


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(calls, st.booleans()), min_size=10, max_size=30))
def test_sqlite_store_gives_the_same_answers_as_memory_store(
    script: list[tuple[Call, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        sqlite = SQLiteStore(Path(directory) / "pairbook.sqlite", clock=lambda: 1.0)
        assert asyncio.run(play(sqlite, script)) == asyncio.run(
            play(MemoryStore(clock=lambda: 1.0), script)
        )
