"""A process taking a room's notebook file over (the files lease) compares the file with what
pairbook last saved: an edit made outside while nobody kept the file is taken in, never
written over; one made while the room changed too is a conflict; a file its last keeper
wrote just before dying is no edit. Two room cores on one MemoryStore, each with a
MemoryBroker on a shared hub."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc

from pairbook.broker import Broker, MemoryBroker, MemoryHub
from pairbook.notebook import ydoc_to_notebook
from pairbook.protocol.messages import encode_sync_update
from pairbook.rooms.feed import FILES
from pairbook.rooms.filesync import FILE_SHA, FileSync
from pairbook.rooms.twinsync import TWIN_SHA
from pairbook.store import MemoryStore
from pairbook.store.records import RoomLog
from support.brokerkit import ROOM, Process, open_process, settle, two_processes
from support.notebooks import read_sources

OUTSIDE = "# edited in an editor while no pairbook kept the file\n"


class Killed(BaseException):
    """The process is killed (kill -9) at this point: nothing after it runs."""


@pytest.fixture
def hub() -> MemoryHub:
    return MemoryHub()


@pytest.fixture
def brokers(hub: MemoryHub) -> Callable[[], Broker]:
    return lambda: MemoryBroker(hub)


def edit_outside(path: Path) -> None:
    """An editor (or a git checkout) changes the file's first code cell."""
    notebook = json.loads(path.read_text())
    cell = notebook["cells"][1]
    cell["source"] = OUTSIDE + "".join(cell["source"])
    path.write_text(json.dumps(notebook, indent=1) + "\n")


def first_source(doc: Doc[Any]) -> str:
    return str(doc.get("cells", type=Array)[1]["source"])


async def type_on(process: Process, name: str, client_id: int, text: str, *also: Process) -> None:
    client = await process.join(name, client_id)
    before = client.doc.get_state()
    client.doc.get("cells", type=Array)[1]["source"].insert(0, text)
    await process.send(client, encode_sync_update(client.doc.get_update(before)))
    await settle(process, *also)


@contextlib.asynccontextmanager
async def saved_by_a(
    tmp_path: Path, brokers: Callable[[], Broker], *, twin: bool = False
) -> AsyncIterator[tuple[Process, FileSync, Process, FileSync, MemoryStore]]:
    """`two_processes` once ana typed on A and A, keeping the files, saved them:
    (a, a's files, b, b's files, store)."""
    async with two_processes(tmp_path, brokers, twin=twin) as (a, b, store):
        assert a.files is not None
        assert b.files is not None
        await type_on(a, "ana", 101, "typed on A ", b)
        assert await a.files.save()
        yield a, a.files, b, b.files, store


@contextlib.contextmanager
def killed_before_the_hash(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The keeper is killed (kill -9) inside the block once it has written the file, before
    it stores the file's hash (FILE_SHA)."""
    set_meta = store.set_meta

    async def killed_first(room: str, key: str, value: str) -> None:
        if key == FILE_SHA:
            raise Killed
        await set_meta(room, key, value)

    monkeypatch.setattr(store, "set_meta", killed_first)
    try:
        with pytest.raises(Killed):
            yield
    finally:
        monkeypatch.undo()


async def take_over(process: Process) -> None:
    """The routine renewal of the files lease, once the last keeper has let it go."""
    process.clock.advance(3.0)
    await process.feed.upkeep(process.clock())
    assert process.feed.files_held


async def test_an_outside_edit_made_while_nobody_kept_the_file_is_taken_in(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with saved_by_a(tmp_path, brokers) as (a, _a_files, b, b_files, _store):
        path = tmp_path / "demo.ipynb"
        await a.feed.close()  # A unloads the room
        edit_outside(path)
        await take_over(b)
        assert b_files.conflict is None
        assert first_source(b.room.doc).startswith(OUTSIDE + "typed on A ")  # every peer sees it
        await b_files.save()
        assert read_sources(path)[1].startswith(OUTSIDE + "typed on A ")  # not written over


async def test_a_file_its_keeper_wrote_just_before_dying_is_no_edit(
    tmp_path: Path, brokers: Callable[[], Broker], hub: MemoryHub
) -> None:
    async with saved_by_a(tmp_path, brokers) as (a, a_files, b, b_files, _store):
        path = tmp_path / "demo.ipynb"
        await type_on(a, "ann", 103, "then more ", b)
        # A writes the file, then dies before it stores the file's hash: the lease runs out.
        a_files.file.save(ydoc_to_notebook(a.room.doc))
        written = path.read_bytes()
        del hub.leases[(ROOM, FILES)]
        await take_over(b)
        assert b_files.conflict is None
        assert not await b_files.save()  # the file holds the room already
        assert path.read_bytes() == written
        assert first_source(b.room.doc).count("then more ") == 1


@pytest.mark.parametrize("taken", ["by a process holding the room", "as the room opens"])
async def test_an_outside_edit_of_the_file_its_keeper_wrote_just_before_dying_is_taken_in(
    tmp_path: Path,
    brokers: Callable[[], Broker],
    hub: MemoryHub,
    monkeypatch: pytest.MonkeyPatch,
    taken: str,
) -> None:
    async with saved_by_a(tmp_path, brokers) as (a, a_files, b, b_files, store):
        path = tmp_path / "demo.ipynb"
        await type_on(a, "ann", 103, "then more ", b)
        # A writes the file, then is killed before it stores the file's hash (kill -9 in
        # tests/cluster/test_files_takeover.py); the file is edited while nobody keeps it.
        with killed_before_the_hash(store, monkeypatch):
            await a_files.save()
        assert read_sources(path)[1].startswith("then more typed on A ")
        del hub.leases[(ROOM, FILES)]
        edit_outside(path)
        edited = path.read_bytes()
        async with brokers() as third:
            if taken == "as the room opens":
                b = await open_process(path, store, third)
                assert b.files is not None
                b_files = b.files
            else:
                await take_over(b)
            assert b_files.conflict is None  # the room holds what A wrote: no unsaved edit
            assert first_source(b.room.doc).startswith(OUTSIDE + "then more typed on A ")
            await b_files.save()
            assert path.read_bytes() == edited  # the room holds the file now: not written over


async def test_an_outside_edit_after_a_conflict_resolved_by_a_keeper_killed_then_is_taken_in(
    tmp_path: Path,
    brokers: Callable[[], Broker],
    hub: MemoryHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with saved_by_a(tmp_path, brokers) as (a, a_files, b, b_files, store):
        path = tmp_path / "demo.ipynb"
        await type_on(a, "ann", 103, "unsaved on A ", b)
        edit_outside(path)
        await a_files.poll()
        assert a_files.conflict is not None
        # A resolves the conflict keeping the room's version: the file is written, then A
        # is killed before it stores the file's hash; the file is edited while nobody keeps it.
        with killed_before_the_hash(store, monkeypatch):
            await a_files.resolve("room")
        assert read_sources(path)[1].startswith("unsaved on A typed on A ")
        del hub.leases[(ROOM, FILES)]
        edit_outside(path)
        edited = path.read_bytes()
        await take_over(b)
        assert b_files.conflict is None  # the room holds what A wrote: no unsaved edit
        assert first_source(b.room.doc).startswith(OUTSIDE + "unsaved on A typed on A ")
        await b_files.save()
        assert path.read_bytes() == edited


async def test_an_outside_edit_while_the_room_changed_too_is_a_conflict(
    tmp_path: Path, brokers: Callable[[], Broker], hub: MemoryHub
) -> None:
    async with saved_by_a(tmp_path, brokers) as (a, _a_files, b, b_files, _store):
        path = tmp_path / "demo.ipynb"
        await type_on(a, "ann", 103, "unsaved on A ", b)
        del hub.leases[(ROOM, FILES)]  # A dies before it saves that
        edit_outside(path)
        edited = path.read_bytes()
        await take_over(b)
        assert b_files.conflict is not None
        assert not await b_files.save()
        assert path.read_bytes() == edited  # neither side overwritten
        assert "unsaved on A " in first_source(b.room.doc)
        assert OUTSIDE not in first_source(b.room.doc)


async def test_a_conflict_left_open_by_the_last_keeper_stays_open(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with saved_by_a(tmp_path, brokers) as (a, a_files, b, b_files, _store):
        path = tmp_path / "demo.ipynb"
        await type_on(a, "ann", 103, "unsaved on A ", b)
        edit_outside(path)
        edited = path.read_bytes()
        await a_files.poll()
        assert a_files.conflict is not None
        await a.feed.close()  # A unloads the room, its conflict unresolved
        await take_over(b)
        assert b_files.conflict is not None
        assert not await b_files.save()
        assert path.read_bytes() == edited


async def test_an_outside_edit_of_the_twin_made_while_nobody_kept_it_is_merged(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with saved_by_a(tmp_path, brokers, twin=True) as (a, _a_files, b, b_files, _store):
        twin = tmp_path / "demo.py"
        assert "typed on A" in twin.read_text()
        await a.feed.close()  # A unloads the room
        twin.write_text(twin.read_text().replace("y = x + 1", "y = 'from the py'"))
        await take_over(b)
        await b_files.save()
        assert "y = 'from the py'" in str(b.room.doc.get("cells", type=Array)[2]["source"])
        assert "y = 'from the py'" in twin.read_text()  # not written over
        await b_files.save()  # the autosave after the merge
        assert read_sources(tmp_path / "demo.ipynb")[2].startswith("y = 'from the py'")


async def test_a_twin_its_keeper_wrote_just_before_dying_does_not_revert_the_room(
    tmp_path: Path, brokers: Callable[[], Broker], hub: MemoryHub
) -> None:
    async with saved_by_a(tmp_path, brokers, twin=True) as (a, a_files, b, b_files, store):
        twin = tmp_path / "demo.py"
        saved = await store.load(ROOM)
        assert saved is not None
        stored = saved.meta[TWIN_SHA]
        await type_on(a, "ann", 103, "then on A ", b)
        # A writes the notebook and its twin, then dies before it stores the twin's hash.
        assert await a_files.save()
        await store.set_meta(ROOM, TWIN_SHA, stored)
        del hub.leases[(ROOM, FILES)]
        await type_on(b, "bob", 102, "typed on B ", b)  # meanwhile, on B
        await take_over(b)
        await b_files.save()
        assert first_source(b.room.doc).startswith("typed on B then on A typed on A ")
        assert "typed on B then on A" in twin.read_text()


async def test_the_files_lease_is_taken_back_as_soon_as_the_broker_is_back(
    tmp_path: Path, brokers: Callable[[], Broker], hub: MemoryHub
) -> None:
    async with two_processes(tmp_path, brokers) as (a, _b, _store):
        assert a.files is not None
        hub.leases[(ROOM, FILES)] = "nobody: Redis is away"
        a.clock.advance(3.0)
        await a.feed.upkeep(a.clock())  # the routine renewal fails
        assert not a.files.active
        del hub.leases[(ROOM, FILES)]  # Redis is back (empty)
        a.clock.advance(0.5)
        a.feed.missed()  # what the broker tells every room when it reconnects
        await a.feed.upkeep(a.clock())
        assert a.feed.files_held
        assert a.files.active


async def test_taking_the_file_over_reads_the_room_s_meta_not_its_whole_log(
    tmp_path: Path, brokers: Callable[[], Broker], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_processes(tmp_path, brokers) as (a, b, store):
        assert a.files is not None
        assert b.files is not None
        await type_on(a, "ana", 101, "typed on A ", b)
        assert await a.files.save()
        loads: list[str] = []
        load = store.load

        async def counted(room: str) -> RoomLog | None:
            loads.append(room)
            return await load(room)

        monkeypatch.setattr(store, "load", counted)
        await a.feed.close()  # A unloads the room
        await take_over(b)
        assert b.files.active
        assert b.files.conflict is None  # the file is what A saved: no edit
        assert loads == []  # the meta alone was read (a long log is not read per takeover)
