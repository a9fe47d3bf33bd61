"""A y-websocket handshake driven by hand, to see exactly what the server sends back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc

from pairbook.protocol.messages import (
    SyncStep1,
    SyncStep2,
    decode_message,
    encode_sync_step1,
    encode_sync_step2,
)
from support.client import RawPeer


@dataclass
class HandshakeResult:
    close_code: int | None
    close_reason: str
    received_state: bool = False
    frames: list[bytes] = field(default_factory=list)


async def handshake(url: str, doc: Doc[Any], timeout: float = 5.0) -> HandshakeResult:
    """Sync `doc` like a stock client would; report whether the server sent its state
    (a step 2) and how it closed the connection, if it did."""
    async with RawPeer(url) as peer:
        await peer.send(encode_sync_step1(doc.get_state()))
        received_state = False
        frames: list[bytes] = []
        try:
            while True:
                frame = await peer.recv(timeout)
                frames.append(frame)
                message = decode_message(frame)
                if isinstance(message, SyncStep1):
                    await peer.send(encode_sync_step2(doc.get_update(message.state_vector)))
                elif isinstance(message, SyncStep2):
                    received_state = True
                    doc.apply_update(message.update)
                    return HandshakeResult(None, "", True, frames)
        except Exception:
            code, reason = await peer.closed_with(timeout)
            return HandshakeResult(code, reason, received_state, frames)
