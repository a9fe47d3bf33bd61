"""A real room (loaded from a notebook into the MemoryStore) with peers on memory channels
and a fake clock: joining and syncing, update fan-out, awareness, refusals, echoes, the sync
deadline, server edits and a lost log write."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Text

from pairbook.auth import Role, User
from pairbook.errors import HistoryError, ProtocolError, StoreError
from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.messages import (
    AuthMessage,
    AwarenessMessage,
    Message,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    encode_awareness,
    encode_sync_step1,
    encode_sync_step2,
    encode_sync_update,
)
from pairbook.protocol.update import decode_state_vector
from pairbook.rooms import CloseCode, MemoryChannel, Peer, Room, TokenBucket, memory_channel_pair
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.filesync import FileSync
from pairbook.rooms.loader import load_room
from pairbook.store import MemoryStore
from pairbook.types import DISK_USER, RoomId, UserId
from support.clock import FakeClock
from support.notebooks import write_notebook
from support.replica import receive_frames, type_scratch
from support.services import GateService
from support.updates import half_appliable_update, legacy_json_update
from unit.rooms.roomkit import same_document as same

ROOM = RoomId("demo.ipynb")
SYNC_TIMEOUT = 15.0


class Client:
    """A peer's connection as its client sees it: the frames the room sent, and a replica."""

    def __init__(self, peer: Peer, end: MemoryChannel, client_id: int) -> None:
        self.peer = peer
        self.end = end
        self.doc: Doc[Any] = Doc(client_id=client_id)
        self.sender = asyncio.create_task(peer.run_sender())

    def messages(self) -> list[Message]:
        """The messages received since the last call; sync content goes into the replica."""
        return receive_frames(self.doc, self.end.unread())

    def edit(self, text: str) -> bytes:
        """Type into the scratch text; the update it makes."""
        return type_scratch(self.doc, text)


class Kit:
    def __init__(self, room: Room, store: MemoryStore, clock: FakeClock) -> None:
        self.room = room
        self.store = store
        self.clock = clock
        self.clients: list[Client] = []
        self._next_client = 100
        self.filesync: FileSync | None = None

    async def join(self, name: str, role: Role = Role.EDITOR, *, sync: bool = True) -> Client:
        """A peer joins; with `sync`, its empty replica syncs (step 1) and it goes live."""
        ours, theirs = memory_channel_pair()
        user = User(UserId(name), name.title(), "#336699")
        peer = Peer(name, user, role, ours, queue_limit=256, limiter=TokenBucket(1e9, 1 << 30))
        self._next_client += 1
        client = Client(peer, theirs, self._next_client)
        self.clients.append(client)
        self.room.join(peer)
        if sync:
            await self.send(client, encode_sync_step1(client.doc.get_state()))
        return client

    async def send(self, client: Client, frame: bytes) -> None:
        """A frame from the client, handled, logged and relayed."""
        await self.room.receive(client.peer, frame)
        await self.flush()

    async def flush(self) -> None:
        await self.room.settle()
        for _ in range(5):  # the senders' loops drain their queues
            await asyncio.sleep(0)

    async def records(self) -> list[Any]:
        return list(await self.store.records(ROOM, 0))


@contextlib.asynccontextmanager
async def room_kit(tmp_path: Path, store: MemoryStore | None = None) -> AsyncIterator[Kit]:
    store = store or MemoryStore()
    await store.open()
    clock = FakeClock()
    room, filesync = await load_room(
        ROOM,
        write_notebook(tmp_path / "demo.ipynb"),
        store,
        RoomCounters(),
        sync_timeout=SYNC_TIMEOUT,
        clock=clock,
    )
    kit = Kit(room, store, clock)
    kit.filesync = filesync
    try:
        yield kit
    finally:
        for client in kit.clients:
            client.sender.cancel()
        await room.settle()
        await store.close()


def of_kind(messages: list[Message], kind: type) -> list[Any]:
    return [message for message in messages if isinstance(message, kind)]


# -- joining and syncing --------------------------------------------------------------------


async def test_a_joining_peer_gets_step1_then_the_room_and_goes_live(tmp_path: Path) -> None:
    async with room_kit(tmp_path) as kit:
        ana = await kit.join("ana", sync=False)
        await kit.flush()
        (step1,) = ana.messages()
        assert step1 == SyncStep1(kit.room.doc.get_state())
        assert not ana.peer.live
        await kit.send(ana, encode_sync_step1(ana.doc.get_state()))
        assert of_kind(ana.messages(), SyncStep2)
        assert ana.peer.live
        assert same(ana.doc, kit.room.doc)


async def test_a_peer_with_content_the_room_lacks_is_answered_after_its_step2(
    tmp_path: Path,
) -> None:
    async with room_kit(tmp_path) as kit:
        ana = await kit.join("ana")
        ana.messages()
        bob = await kit.join("bob", sync=False)
        await kit.flush()
        bob.messages()
        bob.doc.apply_update(ana.doc.get_update())
        bob.edit("offline ")
        await kit.send(bob, encode_sync_step1(bob.doc.get_state()))
        assert bob.messages() == []  # pending: what it has must come first
        assert not bob.peer.live
        update = bob.doc.get_update(kit.room.doc.get_state())
        await kit.send(bob, encode_sync_step2(update))
        assert of_kind(bob.messages(), SyncStep2)
        assert bob.peer.live
        assert of_kind(ana.messages(), SyncUpdate)  # relayed to the live peer
        assert same(ana.doc, kit.room.doc)


async def test_a_peer_that_never_sends_its_content_misses_its_sync_deadline(
    tmp_path: Path,
) -> None:
    async with room_kit(tmp_path) as kit:
        bob = await kit.join("bob", sync=False)
        bob.edit("never sent")
        await kit.send(bob, encode_sync_step1(bob.doc.get_state()))
        kit.clock.advance(SYNC_TIMEOUT)
        assert kit.room.expired_syncs() == []
        kit.clock.advance(0.5)
        assert kit.room.expired_syncs() == [bob.peer]
        kit.room.leave(bob.peer)
        assert kit.room.expired_syncs() == []


# -- updates --------------------------------------------------------------------------------


async def test_an_update_is_logged_then_relayed_to_every_other_live_peer(tmp_path: Path) -> None:
    async with room_kit(tmp_path) as kit:
        ana, bob = await kit.join("ana"), await kit.join("bob")
        carl = await kit.join("carl", sync=False)  # not live: gets no document updates
        for client in (ana, bob, carl):
            client.messages()
        before = len(await kit.records())
        frame = encode_sync_update(ana.edit("hello"))
        await kit.send(ana, frame)
        assert ana.messages() == []
        assert bob.end.unread() == [frame]  # the very frame, relayed as it came
        assert of_kind(carl.messages(), SyncUpdate) == []
        records = await kit.records()
        assert len(records) == before + 1
        assert records[-1].user_id == "ana"
        assert kit.room.last_seq == records[-1].seq
        assert kit.room.counters.updates == 1


async def test_an_echo_is_recognised_without_decoding_and_not_relayed(tmp_path: Path) -> None:
    async with room_kit(tmp_path) as kit:
        ana, bob = await kit.join("ana"), await kit.join("bob")
        ana.messages()
        bob.messages()
        update = ana.edit("echo me")
        await kit.send(ana, encode_sync_update(update))
        (relayed,) = of_kind(bob.messages(), SyncUpdate)
        before = len(await kit.records())
        await kit.send(bob, encode_sync_update(relayed.update))  # pycrdt's provider echoes
        assert kit.room.counters.echoes == 1
        assert ana.messages() == []
        assert len(await kit.records()) == before


async def test_a_viewers_edit_is_refused_and_reaches_no_one(tmp_path: Path) -> None:
    async with room_kit(tmp_path) as kit:
        ana, vic = await kit.join("ana"), await kit.join("vic", Role.VIEWER)
        ana.messages()
        vic.messages()
        before = len(await kit.records())
        await kit.send(vic, encode_sync_update(vic.edit("graffiti")))
        assert of_kind(vic.messages(), AuthMessage) == [
            AuthMessage("viewers cannot edit this notebook")
        ]
        assert ana.messages() == []
        assert len(await kit.records()) == before
        assert kit.room.counters.refused_updates == 1


@pytest.mark.parametrize("update", [legacy_json_update, half_appliable_update])
async def test_an_update_pycrdt_cannot_apply_is_refused_and_the_room_stays_its_log(
    tmp_path: Path, update: Callable[[], bytes]
) -> None:
    async with room_kit(tmp_path) as kit:
        ana, rogue = await kit.join("ana"), await kit.join("rogue")
        ana.messages()
        with pytest.raises(ProtocolError, match="cannot apply this update"):
            await kit.room.receive(rogue.peer, encode_sync_update(update()))
        await kit.flush()
        assert kit.room.counters.unappliable_updates == 1
        ana.messages()  # what the document took of it (if anything) reached ana
        assert same(ana.doc, kit.room.doc)
        replayed: Doc[Any] = Doc()
        for record in await kit.records():
            replayed.apply_update(record.update)
        assert same(replayed, kit.room.doc)


async def test_a_document_holding_a_refused_edit_must_reload(tmp_path: Path) -> None:
    async with room_kit(tmp_path) as kit:
        ana = await kit.join("ana")
        ana.messages()
        gate = GateService("only the driver edits")  # mob mode
        kit.room.attach([gate])
        await kit.send(ana, encode_sync_update(ana.edit("refused")))
        assert of_kind(ana.messages(), AuthMessage) == [AuthMessage("only the driver edits")]
        gate.refusal = None  # ana drives now: her replica still holds the refused edit
        with pytest.raises(HistoryError, match="holds an edit the room refused"):
            await kit.room.receive(ana.peer, encode_sync_update(ana.edit(" more")))


async def test_a_refused_edit_sent_again_while_the_gate_is_shut_is_refused_again(
    tmp_path: Path,
) -> None:
    """A page resyncing after a handover re-sends what was refused: it is told again and
    stays connected (to offer what it typed to the new driver), and the room stays as it was."""
    async with room_kit(tmp_path) as kit:
        ana = await kit.join("ana")
        ana.messages()
        gate = GateService("only the driver edits")  # mob mode, ana's turn ended
        kit.room.attach([gate])
        refused = encode_sync_update(ana.edit("refused"))
        before = kit.room.doc.get_update()
        for _ in range(2):
            await kit.send(ana, refused)
            assert of_kind(ana.messages(), AuthMessage) == [AuthMessage("only the driver edits")]
        assert kit.room.doc.get_update() == before


# -- awareness ------------------------------------------------------------------------------


async def test_awareness_reaches_every_peer_and_a_leaving_peer_is_removed(tmp_path: Path) -> None:
    async with room_kit(tmp_path) as kit:
        ana = await kit.join("ana")
        bob = await kit.join("bob", sync=False)  # awareness goes to syncing peers too
        ana.messages()
        bob.messages()
        state = {"user": {"name": "Someone else"}, "cursor": 3}
        await kit.send(
            ana, encode_awareness(encode_awareness_update([AwarenessEntry(7, 1, state)]))
        )
        (message,) = of_kind(bob.messages(), AwarenessMessage)
        (entry,) = message.entries
        assert entry.client_id == 7
        assert entry.state["user"]["name"] == "Ana"  # the name its token grants
        carl = await kit.join("carl", sync=False)
        await kit.flush()
        assert of_kind(carl.messages(), AwarenessMessage)  # who is present, on joining
        kit.room.leave(ana.peer)
        await kit.flush()
        (gone,) = of_kind(bob.messages(), AwarenessMessage)
        assert [(e.client_id, e.state) for e in gone.entries] == [(7, None)]


# -- server edits and the log ---------------------------------------------------------------


async def test_a_server_edit_is_logged_and_relayed_to_live_peers(tmp_path: Path) -> None:
    async with room_kit(tmp_path) as kit:
        ana = await kit.join("ana")
        ana.messages()

        def edit(doc: Doc[Any]) -> None:
            doc.get("scratch", type=Text).insert(0, "from disk")

        seq = await kit.room.apply_server_edit(edit, DISK_USER)
        await kit.flush()
        records = await kit.records()
        assert seq == records[-1].seq
        assert records[-1].user_id == DISK_USER
        assert of_kind(ana.messages(), SyncUpdate)
        assert str(ana.doc.get("scratch", type=Text)) == "from disk"
        assert same(ana.doc, kit.room.doc)
        client = kit.room.doc.client_id
        assert (
            kit.room.state_vector[client] == decode_state_vector(kit.room.doc.get_state())[client]
        )


class FailingStore(MemoryStore):
    """A store whose appends fail once `failing` is set (a full disk)."""

    failing = False

    async def append(
        self, room: str, update: bytes, user_id: str, client_ids: Any, *, fence: int | None = None
    ) -> int:
        if self.failing:
            raise StoreError("disk full")
        return await super().append(room, update, user_id, client_ids, fence=fence)


async def test_a_change_the_log_could_not_keep_loses_the_room_and_closes_every_peer(
    tmp_path: Path,
) -> None:
    store = FailingStore()
    async with room_kit(tmp_path, store) as kit:
        ana, bob = await kit.join("ana"), await kit.join("bob")
        store.failing = True
        with pytest.raises(StoreError):
            await kit.room.receive(ana.peer, encode_sync_update(ana.edit("lost")))
        await kit.flush()
        assert kit.room.lost is not None
        assert "could not save a change" in kit.room.lost
        for client in (ana, bob):
            close = client.peer.close_request
            assert close is not None
            assert close[0] == CloseCode.INTERNAL_ERROR
        assert kit.room.changed.is_set()
