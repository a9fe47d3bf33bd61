"""An update with a skip in it (a stock Yjs client's step 2 from a document holding pending
structs: `Y.encodeStateAsUpdate` merges them in over a skip) leaves structs pending in the
room's document: yrs integrates them only once what they build on comes, and then the
update that brought it integrates more than its own structs. The room's state vector must
follow the document, not that update's structs: behind it, the guard takes content the
room holds for content it lacks, and refuses another person's edit made on top of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycrdt import Doc, Text, merge_updates

from component.rooms.test_room import ROOM, Client, Kit, of_kind, room_kit
from pairbook.protocol.messages import SyncUpdate, encode_sync_step1, encode_sync_update
from pairbook.protocol.update import decode_state_vector
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.policy import RoomPolicy
from pairbook.rooms.unloading import save_snapshot
from pairbook.store import MemoryStore
from unit.rooms.roomkit import same_document as same

SNAPSHOT_EVERY = RoomPolicy().snapshot_every


async def send_with_a_skip(kit: Kit, ana: Client) -> tuple[bytes, bytes, bytes]:
    """ana types "a", "bc" and "d", and sends clocks 0 and 3 with a skip over 1-2: the room's
    document takes clock 0, and 3 waits. Her three edits' updates."""
    first, middle, last = ana.edit("a"), ana.edit("bc"), ana.edit("d")
    await kit.send(ana, encode_sync_update(merge_updates(first, last)))
    return first, middle, last


async def test_an_edit_on_top_of_what_waited_behind_a_skip_is_taken(tmp_path: Path) -> None:
    async with room_kit(tmp_path) as kit:
        ana, bob = await kit.join("ana"), await kit.join("bob")
        ana.messages(), bob.messages()
        client = ana.doc.client_id
        _, middle, _ = await send_with_a_skip(kit, ana)
        assert kit.room.state_vector[client] == 1
        assert kit.room.waiting
        # Clocks 1-2: the document takes them and the 3 that waited for them.
        await kit.send(ana, encode_sync_update(middle))
        room: dict[int, int] = decode_state_vector(kit.room.doc.get_state())
        assert room[client] == 4
        assert kit.room.state_vector == room
        assert not kit.room.waiting  # updates say again what the document takes of them
        bob.messages()
        assert str(bob.doc.get("scratch", type=Text)) == "abcd"
        typed = bob.edit("e")  # right after ana's 'd' (clock 3): its origin
        await kit.send(bob, encode_sync_update(typed))
        assert str(kit.room.doc.get("scratch", type=Text)) == "abcde"
        assert [m.update for m in of_kind(ana.messages(), SyncUpdate)][-1] == typed


async def test_a_room_loaded_with_structs_pending_in_its_log_follows_its_document(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    async with room_kit(tmp_path, store) as kit:
        ana = await kit.join("ana")
        ana.messages()
        client = ana.doc.client_id
        # Logged with its skip: clock 3 stays pending in the room, and in the log.
        first, middle, last = await send_with_a_skip(kit, ana)
    async with room_kit(tmp_path, store) as kit:  # loaded again from the log
        again, bob = await kit.join("ana"), await kit.join("bob", sync=False)
        # bob's page kept what the room relayed before: clock 3 waits there too.
        bob.doc.apply_update(merge_updates(first, last))
        await kit.send(bob, encode_sync_step1(bob.doc.get_state()))
        assert kit.room.state_vector[client] == 1
        # Clocks 1-2: the reloaded document takes them and the 3 its log left pending.
        await kit.send(again, encode_sync_update(middle))
        room: dict[int, int] = decode_state_vector(kit.room.doc.get_state())
        assert room[client] == 4
        assert kit.room.state_vector == room
        bob.messages()
        assert str(bob.doc.get("scratch", type=Text)) == "abcd"
        typed = bob.edit("e")  # right after ana's 'd' (clock 3), which waited in the log
        await kit.send(bob, encode_sync_update(typed))
        assert str(kit.room.doc.get("scratch", type=Text)) == "abcde"


async def test_a_peer_that_joined_while_structs_waited_gets_them_once_the_gap_is_filled(
    tmp_path: Path,
) -> None:
    async with room_kit(tmp_path) as kit:
        ana = await kit.join("ana")
        ana.messages()
        _, middle, _ = await send_with_a_skip(kit, ana)
        bob = await kit.join("bob")  # its step 2 holds what the document integrated: "a"
        bob.messages()
        await kit.send(ana, encode_sync_update(middle))  # integrates 1-2 and the 3 behind
        bob.messages()
        assert str(kit.room.doc.get("scratch", type=Text)) == "abcd"
        assert str(bob.doc.get("scratch", type=Text)) == "abcd"


async def test_a_room_holding_structs_that_wait_snapshots_them_with_its_document(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    async with room_kit(tmp_path, store) as kit:
        ana = await kit.join("ana")
        ana.messages()
        client = ana.doc.client_id
        _, middle, _ = await send_with_a_skip(kit, ana)
        assert kit.filesync is not None
        entry = OpenRoom(kit.room, kit.filesync, [], snapshot_seq=0)
        # As the room's upkeep does. A document's encoding leaves the waiting 3 out, and the
        # room loads from the snapshot and the records after it: the snapshot carries it.
        await save_snapshot(entry, store)
        assert entry.snapshot_seq == kit.room.last_seq
        await store.prune(ROOM, entry.snapshot_seq)  # the records under it: not needed
    async with room_kit(tmp_path, store) as kit:
        again = await kit.join("ana")
        await kit.send(again, encode_sync_update(middle))
        assert str(kit.room.doc.get("scratch", type=Text)) == "abcd"
        assert kit.room.state_vector[client] == 4


async def test_a_room_whose_waiting_structs_came_snapshots_as_before(tmp_path: Path) -> None:
    store = MemoryStore()
    async with room_kit(tmp_path, store) as kit:
        ana = await kit.join("ana")
        ana.messages()
        _, middle, _ = await send_with_a_skip(kit, ana)
        await kit.send(ana, encode_sync_update(middle))  # 1-2 and the 3 behind them
        assert kit.filesync is not None
        entry = OpenRoom(kit.room, kit.filesync, [], snapshot_seq=kit.room.last_seq)
        for n in range(SNAPSHOT_EVERY):
            await kit.send(ana, encode_sync_update(ana.edit(str(n % 10))))
        # As the room's upkeep does, every `snapshot_every` records.
        assert kit.room.last_seq - entry.snapshot_seq >= SNAPSHOT_EVERY
        await save_snapshot(entry, store)
        assert entry.snapshot_seq == kit.room.last_seq
        assert not kit.room.waiting  # nothing waits: the state vector comes from the updates
        live: Doc[Any] = Doc()
        live.apply_update(kit.room.doc.get_update())  # (nothing waits in it)
    async with room_kit(tmp_path, store) as kit:  # from that snapshot
        assert same(kit.room.doc, live)
        assert not kit.room.waiting
        assert str(kit.room.doc.get("scratch", type=Text)).startswith("abcd0123")
