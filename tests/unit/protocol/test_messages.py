"""y-websocket frames: identical to the npm encoders, round-trips, and every malformed frame."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pairbook.errors import ProtocolError
from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.jsvalue import MAX_SAFE_INTEGER
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
from pairbook.protocol.update import EMPTY_UPDATE, encode_state_vector

from .values import examples, js_equal, json_objects, structured_examples

ENCODERS: dict[str, Callable[[Any], bytes]] = {
    "sync_step1": encode_sync_step1,
    "sync_step2": encode_sync_step2,
    "sync_update": encode_sync_update,
    "permission_denied": encode_permission_denied,
    "query_awareness": lambda _: encode_query_awareness(),
    "command": encode_command,
}


def expected_message(kind: str, given_input: Any) -> Message:
    if kind == "sync_step1":
        return SyncStep1(bytes.fromhex(given_input))
    if kind == "sync_step2":
        return SyncStep2(bytes.fromhex(given_input))
    if kind == "sync_update":
        return SyncUpdate(bytes.fromhex(given_input))
    if kind == "permission_denied":
        return AuthMessage(given_input)
    if kind == "command":
        return CommandMessage(given_input)
    return QueryAwareness()


def encoder_input(kind: str, given_input: Any) -> Any:
    return bytes.fromhex(given_input) if kind.startswith("sync") else given_input


def test_frames_from_the_npm_encoders_decode_to_their_messages(npm: dict[str, Any]) -> None:
    for case in npm["frames"]:
        message = decode_message(bytes.fromhex(case["frame"]))
        assert message == expected_message(case["kind"], case["input"]), case["name"]


def test_our_encoders_write_the_npm_encoders_bytes(npm: dict[str, Any]) -> None:
    for case in npm["frames"]:
        frame = ENCODERS[case["kind"]](encoder_input(case["kind"], case["input"]))
        assert frame == bytes.fromhex(case["frame"]), case["name"]


def test_awareness_frames_from_y_websocket_keep_their_payload_and_entries(
    npm: dict[str, Any],
) -> None:
    for case in npm["awareness"]:
        payload = bytes.fromhex(case["payload"])
        message = decode_message(bytes.fromhex(case["frame"]))
        assert isinstance(message, AwarenessMessage)
        assert message.payload == payload
        assert [e.state for e in message.entries] == [e["state"] for e in case["entries"]]
        assert encode_awareness(payload) == bytes.fromhex(case["frame"]), case["name"]


def test_the_empty_update_frames_as_y_websocket_sends_it() -> None:
    assert encode_sync_step2(EMPTY_UPDATE) == b"\x00\x01\x02\x00\x00"
    assert decode_message(b"\x00\x02\x02\x00\x00") == SyncUpdate(EMPTY_UPDATE)


def test_message_and_sync_types_are_the_y_protocols_numbers() -> None:
    assert [int(t) for t in MessageType] == [0, 1, 2, 3, 100]
    assert [int(t) for t in SyncType] == [0, 1, 2]


def test_frames_may_arrive_as_any_bytes_like_object() -> None:
    frame = encode_sync_update(b"\x00\x00")
    assert decode_message(bytearray(frame)) == decode_message(memoryview(frame))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b"", "truncated varUint at byte 0"),
        (b"\x04", "unknown message type 4 at byte 0: expected 0 \\(sync\\)"),
        (b"\x7d", "unknown message type 125 at byte 0"),
        (b"\x00", "truncated varUint at byte 1"),
        (b"\x00\x03\x00", "unknown sync message type 3 at byte 1: expected 0, 1 or 2"),
        (b"\x00\x02\x05\x00\x00", "varUint8Array at byte 2 declares 5 bytes but only 2 remain"),
        (b"\x00\x02\x01\x00\x00", "1 unexpected trailing bytes at byte 4 after the sync message"),
        (b"\x00\x00\x02\x01\x01", "truncated varUint at byte 5: the input ends at byte 5"),
        (
            b"\x00\x00\x03\x00\x05\x06",
            "2 unexpected trailing bytes at byte 4 after the state vector",
        ),
        (b"\x00\x00\x05\x02\x01\x01\x01\x01", "names client 1 twice, at byte 6"),
        (b"\x01\x03\x01\x00\x01", "truncated varUint at byte 5: the input ends at byte 5"),
        (b"\x01\x04\x01\x00\x01\x00", "state of client 0 at byte 5 is not valid JSON"),
        (b"\x01\x06\x01\x00\x01\x02[]", "state of client 0 at byte 5 is a JSON array"),
        (b"\x01\x02\x00\x00", "1 unexpected trailing bytes at byte 3 after the awareness update"),
        (b"\x01\x01\x00\x00", "1 unexpected trailing bytes at byte 3 after the awareness message"),
        (
            b"\x02\x01\x00",
            "unknown auth message type 1 at byte 1: expected 0 \\(permission denied\\)",
        ),
        (b"\x02\x00\x05ab", "varString at byte 2 declares 5 bytes but only 2 remain"),
        (b"\x03\x00", "1 unexpected trailing bytes at byte 1 after the query_awareness message"),
        (b"\x64\x02[]", "command message at byte 1 is a JSON array; expected an object"),
        (b"\x64\x03{a}", "command message at byte 1 is not valid JSON"),
        (b"\x64\x02{}\x00", "1 unexpected trailing bytes at byte 4 after the command message"),
    ],
)
def test_malformed_frames_raise_protocol_error_naming_the_offset(
    frame: bytes, message: str
) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode_message(frame)


@examples
@given(
    st.dictionaries(st.integers(0, MAX_SAFE_INTEGER), st.integers(0, MAX_SAFE_INTEGER), max_size=6)
)
def test_sync_step1_round_trips(state_vector: dict[int, int]) -> None:
    encoded = encode_state_vector(state_vector)
    assert decode_message(encode_sync_step1(encoded)) == SyncStep1(encoded)


@examples
@given(st.binary(max_size=300))
def test_sync_step2_and_updates_round_trip_without_parsing_the_update(update: bytes) -> None:
    assert decode_message(encode_sync_step2(update)) == SyncStep2(update)
    assert decode_message(encode_sync_update(update)) == SyncUpdate(update)


@structured_examples
@given(st.integers(0, MAX_SAFE_INTEGER), st.integers(0, MAX_SAFE_INTEGER), json_objects)
def test_awareness_messages_round_trip(client_id: int, clock: int, state: dict[str, Any]) -> None:
    payload = encode_awareness_update([AwarenessEntry(client_id, clock, state)])
    message = decode_message(encode_awareness(payload))
    assert isinstance(message, AwarenessMessage)
    assert message.payload == payload
    (entry,) = message.entries
    assert (entry.client_id, entry.clock) == (client_id, clock)
    assert js_equal(entry.state, state)


@examples
@given(st.text())
def test_permission_denied_round_trips(reason: str) -> None:
    assert decode_message(encode_permission_denied(reason)) == AuthMessage(reason)


@structured_examples
@given(json_objects)
def test_pairbook_messages_round_trip(body: dict[str, Any]) -> None:
    message = decode_message(encode_command(body))
    assert isinstance(message, CommandMessage)
    assert js_equal(message.body, body)


def test_query_awareness_round_trips() -> None:
    assert decode_message(encode_query_awareness()) == QueryAwareness()


@examples
@given(st.binary(max_size=64))
def test_random_bytes_only_ever_raise_protocol_error(frame: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_message(frame)


@examples
@given(st.sampled_from([0, 1, 2, 3, 100]), st.binary(max_size=48))
def test_random_payloads_after_a_valid_type_only_ever_raise_protocol_error(
    message_type: int, payload: bytes
) -> None:
    with contextlib.suppress(ProtocolError):
        decode_message(bytes((message_type,)) + payload)
