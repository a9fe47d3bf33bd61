"""A client's replica of a room's document, as the room doubles' clients keep it: the frames
the room sent, decoded, with their sync content applied; typing into its scratch text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pycrdt import Doc, Text

from pairbook.protocol.messages import Message, SyncStep2, SyncUpdate, decode_message


def receive_frames(doc: Doc[Any], frames: Iterable[bytes]) -> list[Message]:
    """The frames decoded; the content of each sync step 2 and update applied to `doc`."""
    messages = [decode_message(frame) for frame in frames]
    for message in messages:
        if isinstance(message, SyncStep2 | SyncUpdate):
            doc.apply_update(message.update)
    return messages


def type_scratch(doc: Doc[Any], text: str) -> bytes:
    """Type `text` at the end of the scratch text; the update it makes."""
    before = doc.get_state()
    scratch = doc.get("scratch", type=Text)
    scratch.insert(len(scratch), text)
    return doc.get_update(before)
