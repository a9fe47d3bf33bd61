"""UpdateDecoder: a large update is decoded in the worker thread while the event loop runs
on (the property that keeps one room's large update from stalling every other room)."""

from __future__ import annotations

import asyncio
import threading

from pycrdt import Doc, Map

from pairbook.protocol.update import UpdateSummary
from pairbook.rooms.decoding import UpdateDecoder
from pairbook.rooms.limits import RoomLimits


def map_update(entries: int) -> bytes:
    doc: Doc[Map[int]] = Doc()
    scratch = doc.get("scratch", type=Map)
    with doc.transaction():
        for index in range(entries):
            scratch[f"k{index}"] = index
    return doc.get_update()


class HeldDecoder(UpdateDecoder):
    """Decodes in the worker thread as UpdateDecoder does, but waits to be let go first."""

    def __init__(self, limits: RoomLimits) -> None:
        super().__init__(limits)
        self.entered = threading.Event()
        self.release = threading.Event()

    def _decode(self, update: bytes) -> UpdateSummary:
        self.entered.set()
        assert self.release.wait(10), "never released"
        return super()._decode(update)


async def test_a_large_update_decodes_off_the_event_loop() -> None:
    decoder = HeldDecoder(RoomLimits())
    large, small = map_update(2_000), map_update(3)
    assert len(large) > decoder.limits.decode_inline_bytes >= len(small)
    try:
        pending = asyncio.create_task(decoder.decode(large))
        assert await asyncio.to_thread(decoder.entered.wait, 10)  # the worker has it
        # The worker holds the large update; the loop still decodes another room's update.
        assert threading.current_thread() is threading.main_thread()
        other = await decoder.decode(small)
        assert len(other.structs) >= 1
        assert not pending.done()
        decoder.release.set()
        summary = await pending
        assert sum(s.length for s in summary.structs) >= 2_000
    finally:
        decoder.release.set()
        decoder.close()


async def test_a_small_update_is_decoded_at_once_on_the_loop() -> None:
    decoder = HeldDecoder(RoomLimits())
    summary = await decoder.decode(map_update(3))
    assert not decoder.entered.is_set()
    assert len(summary.structs) >= 1
    decoder.close()
