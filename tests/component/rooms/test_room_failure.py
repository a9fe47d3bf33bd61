"""A room whose upkeep fails is dropped alone: the other rooms and the registry live on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import pytest
from pycrdt import Doc, Text

from pairbook.broker import MemoryBroker
from pairbook.errors import StoreError
from pairbook.rooms import RoomPolicy, Rooms
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.services import ServiceContext
from pairbook.service import CommandTable
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId
from support.notebooks import write_notebook
from support.ownership import MemoryOwnership
from support.panics import pycrdt_panic


class FailingSnapshots(MemoryStore):
    """A store that cannot save a snapshot (a full disk, a lost connection)."""

    async def save_snapshot(
        self, room: str, snapshot: bytes, upto_seq: int, *, meta: Mapping[str, str] | None = None
    ) -> None:
        raise OSError(28, f"cannot save a snapshot of {room!r}: no space left on device")


class PanickingSnapshots(MemoryStore):
    """A store whose snapshot save panics in pycrdt (a BaseException, past `except
    Exception`: it used to end the room's task with it, and the registry's task group then
    cancelled every room)."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0
        self.again = asyncio.Event()  # a second attempt: the room lived on after the first

    async def save_snapshot(
        self, room: str, snapshot: bytes, upto_seq: int, *, meta: Mapping[str, str] | None = None
    ) -> None:
        self.attempts += 1
        if self.attempts > 1:
            self.again.set()
        pycrdt_panic()


def tasks_left() -> list[object]:
    """The tasks other than this test's: a registry closed leaves none."""
    left = [task.get_coro() for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    return [getattr(coro, "__qualname__", coro) for coro in left]


@pytest.mark.parametrize("failing", [FailingSnapshots, PanickingSnapshots])
async def test_a_room_failing_to_unload_does_not_stop_the_others(
    tmp_path: Path, failing: type[MemoryStore]
) -> None:
    write_notebook(tmp_path / "a.ipynb")
    write_notebook(tmp_path / "b.ipynb")
    policy = RoomPolicy(unload_delay=0.05, tick=0.01)
    async with failing() as store, Rooms(tmp_path, store, policy, services=[]) as rooms:
        first = await rooms.open(RoomId("a.ipynb"))
        assert first.task is not None

        def edit(doc: Doc[Any]) -> None:
            doc.get("scratch", type=Text).insert(0, "not in a snapshot yet")

        await first.room.apply_server_edit(edit, UserId("ana"))
        await asyncio.wait_for(asyncio.shield(first.task), 5)  # unloads, and fails to snapshot
        assert rooms.get(RoomId("a.ipynb")) is None
        second = await rooms.open(RoomId("b.ipynb"))
        assert second.task is not None
        assert not second.task.done()
        again = await rooms.open(RoomId("a.ipynb"))
        assert again is not first
        assert again.task is not None
        assert not again.task.done()


async def test_a_panic_in_a_rooms_upkeep_is_logged_and_the_room_lives_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_notebook(tmp_path / "a.ipynb")
    policy = RoomPolicy(tick=0.01, snapshot_every=1)
    async with PanickingSnapshots() as store, Rooms(tmp_path, store, policy, services=[]) as rooms:
        entry = await rooms.open(RoomId("a.ipynb"))
        assert entry.task is not None

        def edit(doc: Doc[Any]) -> None:
            doc.get("scratch", type=Text).insert(0, "to snapshot")

        with caplog.at_level(logging.ERROR, logger="pairbook"):
            await entry.room.apply_server_edit(edit, UserId("ana"))
            await asyncio.wait_for(store.again.wait(), 5)
        assert not entry.task.done()
        assert rooms.get(RoomId("a.ipynb")) is entry
        failed = [r for r in caplog.records if r.getMessage() == "room upkeep failed"]
        assert failed
        assert failed[0].exc_info is not None


@pytest.mark.parametrize("how", ["lost", "its file kept by another process"])
async def test_a_room_built_from_its_file_leaves_no_task_behind_once_closed(
    tmp_path: Path, how: str
) -> None:
    # Its saved sha is worked out in a task of its own once the first peer is answered:
    # a room closed before then without a save (lost, or not the file's keeper) left that
    # task waiting past the registry, to be destroyed pending with the event loop.
    write_notebook(tmp_path / "a.ipynb")
    policy = RoomPolicy(tick=0.01)
    async with MemoryStore() as store, Rooms(tmp_path, store, policy, services=[]) as rooms:
        entry = await rooms.open(RoomId("a.ipynb"))
        assert entry.task is not None
        if how == "lost":
            entry.room.lose("a test loses it")
            await asyncio.wait_for(asyncio.shield(entry.task), 5)
        else:
            entry.filesync.active = False
    assert tasks_left() == []


class Starting:
    """A service that fails to start when told to (its store unreachable, say)."""

    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.commands = CommandTable[Any]("starting")
        self.closed = False

    async def start(self) -> None:
        if self.fails:
            raise StoreError("the recording's log cannot be read; try again")

    async def close(self) -> None:
        self.closed = True


class Competing(MemoryOwnership):
    """This process competes for the rooms it claims (and owns them) until it drops them."""

    def __init__(self) -> None:
        super().__init__(None)
        self.competing: set[str] = set()

    async def claim(self, room: str) -> bool:
        self.competing.add(room)
        return True

    def holds(self, room: str) -> bool:
        return room in self.competing

    async def drop(self, room: str) -> None:
        self.competing.discard(room)


async def test_a_room_whose_service_fails_to_start_leaves_nothing_behind(tmp_path: Path) -> None:
    # Before, its feed stayed subscribed (applying the other processes' updates to a room
    # nobody held) and kept the file's lease, the services started stayed started, its
    # saved-sha task was left pending, and this process went on owning the room: the
    # commands other processes forwarded here were answered "moving" for good.
    write_notebook(tmp_path / "a.ipynb")
    made: list[Starting] = []

    def starting(context: ServiceContext) -> Starting:
        made.append(Starting(fails=len(made) == 1))
        return made[-1]

    broker, ownership = MemoryBroker(), Competing()
    services = [starting, starting]
    async with (
        MemoryStore() as store,
        Rooms(
            tmp_path, store, RoomPolicy(), services=services, broker=broker, ownership=ownership
        ) as rooms,
    ):
        with pytest.raises(StoreError):
            await rooms.open(RoomId("a.ipynb"))
        assert ownership.competing == set()
        assert [service.closed for service in made] == [True, False]  # the started one
        assert broker.hub.subscribers.get("a.ipynb", {}) == {}
        assert ("a.ipynb", "files") not in broker.hub.leases
    assert tasks_left() == []


@contextlib.asynccontextmanager
async def competed_for(tmp_path: Path) -> AsyncIterator[tuple[Rooms, Competing, OpenRoom]]:
    """A registry whose process competes for its rooms, with room a.ipynb open."""
    write_notebook(tmp_path / "a.ipynb")
    ownership = Competing()
    async with (
        MemoryStore() as store,
        Rooms(tmp_path, store, RoomPolicy(tick=0.01), services=[], ownership=ownership) as rooms,
    ):
        yield rooms, ownership, await rooms.open(RoomId("a.ipynb"))


async def test_a_lost_room_is_no_longer_competed_for_until_it_opens_again(tmp_path: Path) -> None:
    # Its peers may reconnect to another process: this one kept renewing the room's lease
    # for a room it no longer held, and every command forwarded to it was answered "moving".
    async with competed_for(tmp_path) as (rooms, ownership, entry):
        assert entry.task is not None
        assert ownership.competing == {"a.ipynb"}
        entry.room.lose("a test loses it")
        await asyncio.wait_for(asyncio.shield(entry.task), 5)
        assert ownership.competing == set()
        again = await rooms.open(RoomId("a.ipynb"))
        assert again is not entry
        assert ownership.competing == {"a.ipynb"}


async def test_a_lost_room_winding_down_leaves_the_claim_of_its_reload_alone(
    tmp_path: Path,
) -> None:
    async with competed_for(tmp_path) as (rooms, ownership, entry):
        assert entry.task is not None
        entry.room.lose("a test loses it")
        again = await rooms.open(RoomId("a.ipynb"))  # a peer back while it winds down
        await asyncio.wait_for(asyncio.shield(entry.task), 5)
        assert rooms.get(RoomId("a.ipynb")) is again
        assert ownership.competing == {"a.ipynb"}  # the reload's claim stands


class Looping:
    """A service whose loop fails in room a.ipynb (a bug, or a pycrdt panic) and waits in
    the others."""

    def __init__(self, context: ServiceContext, fail: Callable[[], NoReturn]) -> None:
        self.room_id = context.room.id
        self.fail = fail
        self.commands = CommandTable[Any]("looping")

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def run(self) -> None:
        if self.room_id == "a.ipynb":
            self.fail()
        await asyncio.Event().wait()


def a_bug() -> NoReturn:
    raise RuntimeError("a bug in a service's loop")


@pytest.mark.parametrize("fail", [a_bug, pycrdt_panic])
async def test_a_service_loop_that_fails_loses_its_room_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fail: Callable[[], NoReturn]
) -> None:
    # The loops run in the rooms' task group: a failure aborted every room's task and
    # cancelled the task that entered the group (the app's lifespan; here, this test).
    write_notebook(tmp_path / "a.ipynb")
    write_notebook(tmp_path / "b.ipynb")
    policy = RoomPolicy(tick=0.01)
    services = [partial(Looping, fail=fail)]
    async with MemoryStore() as store, Rooms(tmp_path, store, policy, services=services) as rooms:
        other = await rooms.open(RoomId("b.ipynb"))
        with caplog.at_level(logging.ERROR, logger="pairbook"):
            failing = await rooms.open(RoomId("a.ipynb"))
            assert failing.task is not None
            await asyncio.wait_for(asyncio.shield(failing.task), 5)  # lost, then discarded
        assert failing.room.lost == "the room's Looping failed"
        assert rooms.get(RoomId("a.ipynb")) is None
        assert other.task is not None
        assert not other.task.done()
        (record,) = [r for r in caplog.records if r.getMessage() == "room service failed"]
        assert record.exc_info is not None
        assert (await rooms.open(RoomId("a.ipynb"))) is not failing  # reloads on the next join
