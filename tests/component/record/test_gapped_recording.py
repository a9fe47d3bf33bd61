"""The recording of a room whose document held structs that waited (an update with a skip
in it: tests/component/rooms/test_gapped_updates.py). A replay checkpoint, the recorder's or
one a seek saves, and a moment a player seeks to are encodings of a document, which leave
pending structs out: taken while structs waited, they must carry them, or playback from
them loses them once the gap is filled, and every edit made on top of them."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from pycrdt import Doc, Text

from component.rooms.test_gapped_updates import send_with_a_skip
from component.rooms.test_room import ROOM, Kit, room_kit
from pairbook.kernel.kept import KeptKernels
from pairbook.protocol.messages import encode_sync_update
from pairbook.record import Replayer, Replays
from pairbook.record.service import RecordingService
from pairbook.rooms.handle import ServiceHandle
from pairbook.rooms.policy import RoomPolicy
from pairbook.rooms.services import ServiceContext, recording_service
from pairbook.store import MemoryStore
from unit.rooms.roomkit import same_document as same


async def recording(kit: Kit, tmp_path: Path) -> RecordingService:
    """The room's recording as the server makes it, checkpointing at every upkeep."""
    room = kit.room
    store = kit.store
    policy = RoomPolicy(checkpoint_every=1)
    context = ServiceContext(
        room, ServiceHandle(room), tmp_path / "demo.ipynb", store, Replays(store), policy,
        KeptKernels(),
    )  # fmt: skip
    service = recording_service(context)
    assert isinstance(service, RecordingService)
    room.attach([service])
    await service.start()
    return service


def scratch(doc: Doc[Any]) -> str:
    return str(doc.get("scratch", type=Text))


async def test_a_checkpoint_taken_while_structs_wait_replays_them_once_they_integrate(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    async with room_kit(tmp_path, store) as kit:
        service = await recording(kit, tmp_path)
        ana, bob = await kit.join("ana"), await kit.join("bob")
        ana.messages(), bob.messages()
        _, middle, _ = await send_with_a_skip(kit, ana)  # 'd' waits
        waited = kit.room.last_seq
        await service.upkeep(0)  # the room's upkeep: a checkpoint now
        assert await store.checkpoint_seqs(ROOM) == [waited]
        await kit.send(ana, encode_sync_update(middle))  # 'bc', and the 'd' that waited
        bob.messages()
        await kit.send(bob, encode_sync_update(bob.edit("e")))  # after 'd': its origin
        assert scratch(kit.room.doc) == "abcde"
        end = kit.room.last_seq
        replayer = Replayer(store, ROOM, save_checkpoints=False)  # cold: from the checkpoint
        replayed = await replayer.doc_at(end)
        assert scratch(replayed) == "abcde"
        assert same(replayed, kit.room.doc)
        # A player seeks to the moment 'd' waited, then plays forward from there.
        moment = await replayer.moment(waited)
        player: Doc[Any] = Doc()
        player.apply_update(moment.update)
        assert scratch(player) == "a"
        for step in (await replayer.chunk(waited, limit=10))["steps"]:
            player.apply_update(base64.b64decode(step["update"]))
        assert scratch(player) == "abcde"
        assert same(player, kit.room.doc)


async def test_a_checkpoint_a_seek_saves_while_structs_wait_carries_them(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    async with room_kit(tmp_path, store) as kit:
        ana, bob = await kit.join("ana"), await kit.join("bob")
        ana.messages(), bob.messages()
        _, middle, _ = await send_with_a_skip(kit, ana)  # 'd' waits
        waited = kit.room.last_seq
        await kit.send(ana, encode_sync_update(middle))
        bob.messages()
        await kit.send(bob, encode_sync_update(bob.edit("e")))
        end = kit.room.last_seq
        assert waited < waited + 1 < 2 * waited  # this seek saves one checkpoint: at `waited`
        seeking = Replayer(store, ROOM, checkpoint_every=waited, save_checkpoints=True)
        assert scratch(await seeking.doc_at(waited + 1)) == "abcd"
        assert await store.checkpoint_seqs(ROOM) == [waited]
        cold = Replayer(store, ROOM, save_checkpoints=False)
        replayed = await cold.doc_at(end)
        assert scratch(replayed) == "abcde"
        assert same(replayed, kit.room.doc)
