"""A room built from its file serves its base history while the log takes it: the first
peer gets the file's notebook before the log has it, nothing sent on top of it is logged or
relayed before it, and a process that stops before the log has it loses nothing anyone was
told was saved (the same file builds the same bytes again)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc, Text

from pairbook.auth import Role, User
from pairbook.notebook import read_notebook, ydoc_to_notebook
from pairbook.notebook.normal_form import normalize_notebook
from pairbook.protocol.messages import (
    SyncStep2,
    SyncUpdate,
    decode_message,
    encode_sync_step1,
    encode_sync_update,
)
from pairbook.rooms import Peer, Room, TokenBucket, memory_channel_pair
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import HISTORY_ID, load_room
from pairbook.store import MemoryStore
from pairbook.types import SERVER_USER, RoomId, UserId
from support.notebooks import write_notebook
from unit.rooms.roomkit import same_document as same

ROOM = RoomId("demo.ipynb")


class HeldStore(MemoryStore):
    """A store whose first append (a room's base) waits while `held` is clear (a slow
    disk), and whose appends fail once `failing` is set (the process stopped before its
    commit)."""

    def __init__(self) -> None:
        super().__init__()
        self.held = asyncio.Event()
        self.held.set()
        self.failing = False
        self._first = True

    async def append(
        self,
        room: str,
        update: bytes,
        user_id: str,
        client_ids: Sequence[int],
        *,
        fence: int | None = None,
    ) -> int:
        if self._first and user_id == SERVER_USER:
            self._first = False
            await self.held.wait()
        if self.failing:
            raise OSError(5, "input/output error")
        return await super().append(room, update, user_id, client_ids, fence=fence)


class Client:
    def __init__(self, room: Room, name: str, client_id: int) -> None:
        ours, self.end = memory_channel_pair()
        user = User(UserId(name), name.title(), "#336699")
        self.peer = Peer(name, user, Role.EDITOR, ours, queue_limit=256,
                         limiter=TokenBucket(1e9, 1 << 30))  # fmt: skip
        self.doc: Doc[Any] = Doc(client_id=client_id)
        self.room = room
        self.sender = asyncio.create_task(self.peer.run_sender())
        room.join(self.peer)

    async def sync(self) -> None:
        await self.room.receive(self.peer, encode_sync_step1(self.doc.get_state()))
        await drain()

    def received(self) -> list[type]:
        """The kinds of sync content received since the last call (applied to the replica)."""
        kinds: list[type] = []
        for frame in self.end.unread():
            message = decode_message(frame)
            if isinstance(message, SyncStep2 | SyncUpdate):
                self.doc.apply_update(message.update)
                kinds.append(type(message))
        return kinds

    def type(self, text: str) -> bytes:
        before = self.doc.get_state()
        ysource = self.doc.get("cells", type=Array)[0]["source"]
        assert isinstance(ysource, Text)
        ysource += text
        return self.doc.get_update(before)


async def drain() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def open_room(path: Path, store: MemoryStore) -> Room:
    room, _ = await load_room(ROOM, path, store, RoomCounters(), sync_timeout=15.0,
                              log_base_later=True)  # fmt: skip
    return room


async def ana_and_bob(room: Room) -> tuple[Client, Client]:
    """Two peers synced with `room`, what it sent them so far read."""
    ana, bob = Client(room, "ana", 101), Client(room, "bob", 102)
    await ana.sync()
    await bob.sync()
    ana.received(), bob.received()
    return ana, bob


async def test_the_first_peer_gets_the_files_notebook_before_the_log_has_it(
    tmp_path: Path,
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    async with HeldStore() as store:
        store.held.clear()
        room = await open_room(path, store)
        ana = Client(room, "ana", 101)

        await ana.sync()

        assert ana.received() == [SyncStep2]
        assert ydoc_to_notebook(ana.doc) == normalize_notebook(read_notebook(path).nb)
        assert same(ana.doc, room.doc)
        assert await store.records(ROOM, 0) == []  # not logged yet
        assert room.inflight == 1
        store.held.set()
        await room.settle()
        (base,) = await store.records(ROOM, 0)
        log = await store.load(ROOM)
        assert log is not None
        assert log.meta[HISTORY_ID] == room.history_id
        assert (room.last_seq, room.inflight) == (base.seq, 0)
        ana.sender.cancel()


async def test_an_edit_on_the_unlogged_base_is_logged_and_relayed_after_it(
    tmp_path: Path,
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    async with HeldStore() as store:
        store.held.clear()
        room = await open_room(path, store)
        ana, bob = await ana_and_bob(room)

        # (a peer's update is handled once it is logged: ana's connection waits for it)
        handled = asyncio.create_task(room.receive(ana.peer, encode_sync_update(ana.type("#"))))
        await drain()

        assert bob.received() == []  # not relayed: not logged, and its base is not either
        assert await store.records(ROOM, 0) == []
        assert not handled.done()
        store.held.set()
        await handled
        await room.settle()
        await drain()
        assert bob.received() == [SyncUpdate]
        assert same(bob.doc, room.doc)
        base, edit = await store.records(ROOM, 0)
        assert base.user_id != edit.user_id == "ana"
        ana.sender.cancel()
        bob.sender.cancel()


async def test_a_stop_before_the_base_is_logged_loses_nothing_acknowledged(
    tmp_path: Path,
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    async with HeldStore() as store:
        store.held.clear()
        first = await open_room(path, store)
        ana, bob = await ana_and_bob(first)
        typed = encode_sync_update(ana.type(" # typed"))
        handled = asyncio.create_task(first.receive(ana.peer, typed))
        await drain()
        # The process stops before its write: nothing reaches the log.
        store.failing = True
        store.held.set()
        await asyncio.gather(handled, return_exceptions=True)
        await first.settle()
        await drain()

        assert first.lost is not None  # its peers are told to reconnect
        assert bob.received() == []  # ana's edit was never relayed: never acknowledged
        assert await store.records(ROOM, 0) == []
        store.failing = False
        again = await open_room(path, store)  # the next process, from the same file
        (base,) = await store.records(ROOM, 0)
        replica: Doc[Any] = Doc()
        replica.apply_update(base.update)
        assert same(replica, bob.doc)  # the very base the peers hold: no duplicate cells
        carl = Client(again, "carl", 103)
        await carl.sync()
        carl.received()
        # ana reconnects: her document, base and edit, syncs into the rebuilt room
        await again.receive(ana.peer, encode_sync_update(ana.doc.get_update()))
        await again.settle()
        await drain()
        assert same(again.doc, ana.doc)
        assert len(ydoc_to_notebook(again.doc)["cells"]) == len(read_notebook(path).nb["cells"])
        assert ydoc_to_notebook(again.doc)["cells"][0]["source"].endswith(" # typed")
        assert carl.received() == [SyncUpdate]
        for client in (ana, bob, carl):
            client.sender.cancel()


async def test_a_change_that_only_deletes_reaches_the_next_joiner(tmp_path: Path) -> None:
    # The room answers a peer holding nothing with its base's bytes only while the
    # document is unchanged: a deletion moves no state vector.
    path = write_notebook(tmp_path / "demo.ipynb")
    async with HeldStore() as store:
        room = await open_room(path, store)
        ana = Client(room, "ana", 101)
        await ana.sync()
        ana.received()
        before = ana.doc.get_state()
        ysource = ana.doc.get("cells", type=Array)[0]["source"]
        assert isinstance(ysource, Text)
        del ysource[0:1]
        await room.receive(ana.peer, encode_sync_update(ana.doc.get_update(before)))
        await room.settle()

        bob = Client(room, "bob", 102)
        await bob.sync()
        bob.received()

        assert same(bob.doc, room.doc)
        assert same(bob.doc, ana.doc)
        ana.sender.cancel()
        bob.sender.cancel()
