"""Limits: how much one frame may ask of a room, so that no peer can stall or bloat it."""

from __future__ import annotations

from dataclasses import dataclass

from pairbook.errors import LimitError
from pairbook.protocol.messages import MessageType

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RoomLimits:
    """Past these a connection is closed with 1009 and a reason saying which limit it hit."""

    update_bytes: int = 8 * MIB
    """Largest document update (sync step 2 or update) a peer may send."""
    update_structs: int = 50_000
    """Most structs plus deleted ranges in one update (decoding costs ~30 µs each)."""
    update_cells: int = 2_000
    """Most new cells one update may add."""
    command_bytes: int = 64 * 1024
    """Largest pairbook command frame (its JSON is parsed before anything else)."""
    awareness_ids: int = 8
    """Yjs client ids one connection may speak for in awareness (a browser tab uses one)."""
    awareness_state_bytes: int = 16 * 1024
    """Largest awareness state of one client id, as JSON."""
    presence_slots: int = 1024
    """Awareness states a room keeps; past it new client ids are not shown to others."""
    decode_inline_bytes: int = 8 * 1024
    """Updates up to this size are decoded on the event loop; larger ones in a worker thread."""

    @property
    def awareness_frame_bytes(self) -> int:
        """Largest awareness frame: every id a connection may hold, each at its largest."""
        return self.awareness_ids * self.awareness_state_bytes + 1024


def check_frame_size(frame: bytes, limits: RoomLimits) -> None:
    """Refuse an oversized frame before parsing it: commands and awareness carry JSON, whose
    parsing would hold the event loop for as long as the frame is large."""
    kind = frame[0] if frame else -1
    if kind == MessageType.COMMAND:
        limit, what = limits.command_bytes, "a command"
    elif kind == MessageType.AWARENESS:
        limit, what = limits.awareness_frame_bytes, "an awareness update"
    elif kind == MessageType.SYNC:
        limit, what = limits.update_bytes + 16, "a document update"
    else:
        return
    if len(frame) > limit:
        raise LimitError(f"{what} of {len(frame)} bytes exceeds the server's limit of {limit}")
