"""y-websocket messages: one per websocket frame, a varUint type then its payload."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeAlias

from pairbook.errors import ProtocolError
from pairbook.protocol.awareness import AwarenessEntry, read_awareness_entries
from pairbook.protocol.jsvalue import json_parse, json_stringify, json_type_name
from pairbook.protocol.lib0 import Decoder, Encoder, encode_var_uint
from pairbook.protocol.update import read_state_vector
from pairbook.types import value


class MessageType(IntEnum):
    """The first varUint of a frame."""

    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3
    COMMAND = 100  # pairbook's JSON commands; used neither by y-protocols nor by Jupyter


class SyncType(IntEnum):
    """The second varUint of a sync frame."""

    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


PERMISSION_DENIED = 0
"""The only y-protocols auth message: `messagePermissionDenied`."""


@dataclass(frozen=True, slots=True)
class SyncStep1:
    """A peer's encoded state vector, asking for what it lacks."""

    state_vector: bytes


@dataclass(frozen=True, slots=True)
class SyncStep2:
    """The update that answers a SyncStep1 (not parsed: call `decode_update`)."""

    update: bytes


@value
class SyncUpdate:
    """An incremental document update (not parsed: call `decode_update`)."""

    update: bytes


@value
class AwarenessMessage:
    """An awareness update: the payload exactly as received, and its decoded entries."""

    payload: bytes
    entries: tuple[AwarenessEntry, ...]


@dataclass(frozen=True, slots=True)
class AuthMessage:
    """A y-protocols permission-denied message and its reason."""

    reason: str


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    """A request for every awareness state the receiver knows."""


@dataclass(frozen=True, slots=True)
class CommandMessage:
    """A pairbook command or reply: a JSON object."""

    body: dict[str, object]


Message: TypeAlias = (
    SyncStep1
    | SyncStep2
    | SyncUpdate
    | AwarenessMessage
    | AuthMessage
    | QueryAwareness
    | CommandMessage
)

_QUERY_AWARENESS = QueryAwareness()
_STEP1, _STEP2, _UPDATE = int(SyncType.STEP1), int(SyncType.STEP2), int(SyncType.UPDATE)


def _read_framed(decoder: Decoder) -> tuple[int, int]:
    """Step over a varUint8Array and return where its bytes start and end."""
    length = decoder.skip_var_uint8array()
    return decoder.pos - length, decoder.pos


def _decode_sync(decoder: Decoder, frame: bytes) -> Message:
    sync_pos = decoder.pos
    sync_type = decoder.read_var_uint()
    if sync_type == _UPDATE:
        start, end = _read_framed(decoder)
        return SyncUpdate(frame[start:end])
    if sync_type == _STEP2:
        start, end = _read_framed(decoder)
        return SyncStep2(frame[start:end])
    if sync_type == _STEP1:
        start, end = _read_framed(decoder)
        state_vector = Decoder(frame, start, end)  # errors then give offsets in the frame
        read_state_vector(state_vector)
        state_vector.expect_done("the state vector")
        return SyncStep1(frame[start:end])
    raise ProtocolError(
        f"unknown sync message type {sync_type} at byte {sync_pos}: expected 0, 1 or 2"
    )


def _decode_awareness(decoder: Decoder, frame: bytes) -> Message:
    start, end = _read_framed(decoder)
    entries_decoder = Decoder(frame, start, end)
    entries = read_awareness_entries(entries_decoder)
    entries_decoder.expect_done("the awareness update")
    return AwarenessMessage(frame[start:end], entries)


def _decode_auth(decoder: Decoder, frame: bytes) -> Message:
    auth_pos = decoder.pos
    auth_type = decoder.read_var_uint()
    if auth_type != PERMISSION_DENIED:
        raise ProtocolError(
            f"unknown auth message type {auth_type} at byte {auth_pos}: "
            "expected 0 (permission denied)"
        )
    return AuthMessage(decoder.read_var_string())


def _decode_query_awareness(decoder: Decoder, frame: bytes) -> Message:
    return _QUERY_AWARENESS


def _decode_command(decoder: Decoder, frame: bytes) -> Message:
    body_pos = decoder.pos
    body = json_parse(decoder.read_var_string(), f"command message at byte {body_pos}")
    if not isinstance(body, dict):
        raise ProtocolError(
            f"command message at byte {body_pos} is a JSON {json_type_name(body)}; "
            "expected an object"
        )
    return CommandMessage(body)


_DECODERS: dict[int, Callable[[Decoder, bytes], Message]] = {
    MessageType.SYNC: _decode_sync,
    MessageType.AWARENESS: _decode_awareness,
    MessageType.AUTH: _decode_auth,
    MessageType.QUERY_AWARENESS: _decode_query_awareness,
    MessageType.COMMAND: _decode_command,
}


_UPDATE_PREFIX = bytes((MessageType.SYNC, SyncType.UPDATE))


def _framed_update(frame: bytes) -> bytes | None:
    """The update of a sync update frame whose length (one or two varUint bytes) is that of
    the rest of the frame, as the general reader takes it; None for anything else."""
    size = len(frame)
    if size < 3:
        return None
    first = frame[2]
    if first < 0x80:
        return frame[3:] if size == 3 + first else None
    if size < 4 or frame[3] >= 0x80:
        return None
    return frame[4:] if size == 4 + ((first & 0x7F) | frame[3] << 7) else None


def decode_message(frame: bytes) -> Message:
    """Decode and validate one websocket frame; anything malformed is a ProtocolError."""
    if type(frame) is not bytes:
        frame = bytes(frame)
    if frame[:2] == _UPDATE_PREFIX:  # nearly every frame: read without a Decoder
        update = _framed_update(frame)
        if update is not None:
            return SyncUpdate(update)
    return read_message(frame)


def read_message(frame: bytes) -> Message:
    """`decode_message` through the general reader alone, whatever the frame holds."""
    decoder = Decoder(frame)
    message_type = decoder.read_var_uint()
    decode = _DECODERS.get(message_type)
    if decode is None:
        raise ProtocolError(
            f"unknown message type {message_type} at byte 0: "
            "expected 0 (sync), 1 (awareness), 2 (auth), 3 (query awareness) or 100 (pairbook)"
        )
    message = decode(decoder, frame)
    if not decoder.done:
        decoder.expect_done(f"the {MessageType(message_type).name.lower()} message")
    return message


def _frame(prefix: bytes, payload: bytes) -> bytes:
    return b"".join((prefix, encode_var_uint(len(payload)), payload))


_SYNC_STEP1 = bytes((MessageType.SYNC, SyncType.STEP1))
_SYNC_STEP2 = bytes((MessageType.SYNC, SyncType.STEP2))
_SYNC_UPDATE = bytes((MessageType.SYNC, SyncType.UPDATE))
_AWARENESS = bytes((MessageType.AWARENESS,))


def encode_sync_step1(state_vector: bytes) -> bytes:
    """Frame an encoded state vector as sync step 1."""
    return _frame(_SYNC_STEP1, state_vector)


def encode_sync_step2(update: bytes) -> bytes:
    """Frame an update as sync step 2."""
    return _frame(_SYNC_STEP2, update)


def encode_sync_update(update: bytes) -> bytes:
    """Frame an update as a sync update."""
    return _frame(_SYNC_UPDATE, update)


def encode_awareness(payload: bytes) -> bytes:
    """Frame an encoded awareness update."""
    return _frame(_AWARENESS, payload)


def encode_permission_denied(reason: str) -> bytes:
    """Frame a y-protocols permission-denied message."""
    encoder = Encoder()
    encoder.write_var_uint(MessageType.AUTH)
    encoder.write_var_uint(PERMISSION_DENIED)
    encoder.write_var_string(reason)
    return encoder.to_bytes()


def encode_query_awareness() -> bytes:
    """Frame a query-awareness message."""
    return bytes((MessageType.QUERY_AWARENESS,))


def encode_command(body: Mapping[str, object]) -> bytes:
    """Frame a pairbook command or reply; `body` must be JSON-serializable."""
    encoder = Encoder()
    encoder.write_var_uint(MessageType.COMMAND)
    encoder.write_var_string(json_stringify(dict(body)))
    return encoder.to_bytes()
