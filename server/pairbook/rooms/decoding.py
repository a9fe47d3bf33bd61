"""UpdateDecoder: decodes peers' updates without stalling the event loop."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from pairbook.errors import LimitError
from pairbook.protocol.update import MAX_VALUE_NESTING, StructKind, UpdateSummary, decode_update
from pairbook.rooms.limits import RoomLimits

_CONTENT_TYPE = 7  # a shared type (a cell is a Y.Map) inserted as an item


class UpdateDecoder:
    """Small updates are decoded at once; large ones in one worker thread shared by every
    room. Decoding is pure Python (~30 µs a struct): on the event loop a large update would
    stall every room. One thread, not a pool: however many peers send large updates, the
    event loop competes with one decoder for the GIL, never with many.

    The summary is pure data built from the bytes alone, so it may be built in a thread;
    pycrdt Docs are never touched there.
    """

    def __init__(self, limits: RoomLimits) -> None:
        self.limits = limits
        self._executor: ThreadPoolExecutor | None = None

    async def decode(self, update: bytes) -> UpdateSummary:
        """The update's summary; LimitError when it is larger than the limits allow."""
        limits = self.limits
        if len(update) > limits.update_bytes:
            raise LimitError(
                f"an update of {len(update)} bytes exceeds the server's limit of "
                f"{limits.update_bytes}; send it in smaller parts"
            )
        if len(update) <= limits.decode_inline_bytes:
            return decode_update(
                update, max_structs=limits.update_structs, max_nesting=MAX_VALUE_NESTING
            )
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="pairbook-decode")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._decode, update)

    def _decode(self, update: bytes) -> UpdateSummary:
        return decode_update(
            update, max_structs=self.limits.update_structs, max_nesting=MAX_VALUE_NESTING
        )

    def check_cells(self, summary: UpdateSummary, state_vector: dict[int, int]) -> None:
        """Refuse an update that adds more new cells than the limit.

        Counted as the shared types inserted into arrays: only the first of a run of
        appended cells names its parent (the others follow their left neighbour), and in the
        notebook schema the arrays peers write that hold types are the cells."""
        limit = self.limits.update_cells
        added = 0
        for struct in summary.structs:
            if (
                struct.content_ref == _CONTENT_TYPE
                and struct.parent_sub is None
                and struct.kind is StructKind.ITEM
                and struct.clock + struct.length > state_vector.get(struct.client, 0)
            ):
                added += 1
        if added > limit:
            raise LimitError(f"the update adds {added} cells; one update may add at most {limit}")

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
