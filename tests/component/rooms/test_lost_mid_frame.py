"""A room lost (by its feed: a logged update this process cannot apply; or by a fence: a
later owner took it over) while a peer's frame is being handled: the room reloads from its
log, so nothing of that frame may still apply to the lost document, be logged, or be
relayed and acknowledged to anyone."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Text

from component.rooms.test_room import of_kind, room_kit
from pairbook.errors import StoreError
from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import SyncUpdate, encode_sync_update
from pairbook.rooms.commits import MOVED

LOSSES = [
    ("the logged update 9 cannot be applied on this server process", CloseCode.INTERNAL_ERROR),
    (MOVED, CloseCode.GOING_AWAY),
]


def large_update() -> bytes:
    doc: Doc[Any] = Doc()
    doc.get("other", type=Text).insert(0, "y" * 20_000)
    return doc.get_update()


@pytest.mark.parametrize(("reason", "code"), LOSSES, ids=["feed", "fence"])
async def test_a_frame_being_handled_as_the_room_is_lost_applies_nothing(
    tmp_path: Path, reason: str, code: CloseCode
) -> None:
    async with room_kit(tmp_path) as kit:
        ana, bob = await kit.join("ana"), await kit.join("bob")
        ana.messages(), bob.messages()
        logged = len(await kit.records())
        decoder: Any = kit.room._receiver._decoder  # large updates are decoded in its thread
        big = "x" * 20_000
        busy = threading.Event()
        await decoder.decode(large_update())  # its thread starts
        decoder._executor.submit(busy.wait)  # the decoder's thread is busy: the frame waits
        try:
            frame = encode_sync_update(ana.edit(big))
            handled = asyncio.create_task(kit.room.receive(ana.peer, frame))
            for _ in range(10):
                await asyncio.sleep(0)
            assert not handled.done()
            kit.room.lose(reason, code)  # as the feed or a fenced write does
        finally:
            busy.set()
        with pytest.raises(StoreError):
            await handled
        await kit.flush()
        assert str(kit.room.doc.get("scratch", type=Text)) == ""
        assert len(await kit.records()) == logged
        assert of_kind(bob.messages(), SyncUpdate) == []
