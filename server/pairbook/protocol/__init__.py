"""The y-websocket wire protocol, sans I/O: bytes in, typed messages out, and back.

`lib0` reads and writes the primitive encoding, `messages` frames, `awareness` presence
updates and `update` Yjs v1 updates; `jsvalue` holds the JavaScript semantics they inherit.
Every malformed input raises `pairbook.errors.ProtocolError`.
"""

from __future__ import annotations

from pairbook.protocol.awareness import (
    AwarenessEntry,
    decode_awareness_update,
    encode_awareness_update,
)
from pairbook.protocol.messages import (
    AuthMessage,
    AwarenessMessage,
    CommandMessage,
    Message,
    MessageType,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncType,
    SyncUpdate,
    decode_message,
    encode_awareness,
    encode_command,
    encode_permission_denied,
    encode_query_awareness,
    encode_sync_step1,
    encode_sync_step2,
    encode_sync_update,
)
from pairbook.protocol.update import (
    EMPTY_UPDATE,
    ID,
    Struct,
    StructKind,
    UpdateSummary,
    decode_state_vector,
    decode_update,
    encode_state_vector,
)

__all__ = [
    "EMPTY_UPDATE",
    "ID",
    "AuthMessage",
    "AwarenessEntry",
    "AwarenessMessage",
    "CommandMessage",
    "Message",
    "MessageType",
    "QueryAwareness",
    "Struct",
    "StructKind",
    "SyncStep1",
    "SyncStep2",
    "SyncType",
    "SyncUpdate",
    "UpdateSummary",
    "decode_awareness_update",
    "decode_message",
    "decode_state_vector",
    "decode_update",
    "encode_awareness",
    "encode_awareness_update",
    "encode_command",
    "encode_permission_denied",
    "encode_query_awareness",
    "encode_state_vector",
    "encode_sync_step1",
    "encode_sync_step2",
    "encode_sync_update",
]
