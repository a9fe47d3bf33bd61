"""Awareness updates: identical to y-protocols, round-trips, and garbage never gets through."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pairbook.errors import ProtocolError
from pairbook.protocol.awareness import (
    AwarenessEntry,
    decode_awareness_update,
    encode_awareness_update,
)
from pairbook.protocol.jsvalue import MAX_SAFE_INTEGER
from pairbook.protocol.lib0 import Encoder

from .values import examples, js_equal, json_objects, structured_examples

awareness_entries = st.builds(
    AwarenessEntry,
    st.integers(0, MAX_SAFE_INTEGER),
    st.integers(0, MAX_SAFE_INTEGER),
    st.none() | json_objects,
)


def raw_update(*states: str) -> bytes:
    encoder = Encoder()
    encoder.write_var_uint(len(states))
    for client_id, state in enumerate(states):
        encoder.write_var_uint(client_id)
        encoder.write_var_uint(1)
        encoder.write_var_string(state)
    return encoder.to_bytes()


def test_updates_from_y_protocols_decode_to_their_entries(npm: dict[str, Any]) -> None:
    for case in npm["awareness"]:
        entries = decode_awareness_update(bytes.fromhex(case["payload"]))
        expected = tuple(
            AwarenessEntry(e["client_id"], e["clock"], e["state"]) for e in case["entries"]
        )
        assert entries == expected, case["name"]


def test_encoding_decoded_entries_gives_y_protocols_bytes_back(npm: dict[str, Any]) -> None:
    for case in npm["awareness"]:
        payload = bytes.fromhex(case["payload"])
        assert encode_awareness_update(decode_awareness_update(payload)) == payload, case["name"]


def test_a_unicode_user_name_survives_decoding(npm: dict[str, Any]) -> None:
    (entry,) = decode_awareness_update(bytes.fromhex(npm["awareness"][0]["payload"]))
    assert entry.state is not None
    assert entry.state["user"] == {"name": "Zoë 🐍 Ünïcödé", "color": "#ee6352"}


def test_a_null_state_means_the_client_left() -> None:
    assert decode_awareness_update(raw_update("null")) == (AwarenessEntry(0, 1, None),)


def test_an_empty_update_has_no_entries() -> None:
    assert decode_awareness_update(b"\x00") == ()
    assert encode_awareness_update([]) == b"\x00"


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("{not json", "awareness state of client 0 at byte 3 is not valid JSON"),
        ("NaN", "is not valid JSON: NaN is not JSON"),
        (
            "[1, 2]",
            "awareness state of client 0 at byte 3 is a JSON array; expected an object or null",
        ),
        ('"text"', "is a JSON string; expected an object or null"),
        ("5", "is a JSON number; expected an object or null"),
        ("", "is not valid JSON"),
    ],
)
def test_states_that_are_not_json_objects_or_null_are_refused(state: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode_awareness_update(raw_update(state))


def test_trailing_bytes_after_the_entries_are_refused() -> None:
    with pytest.raises(
        ProtocolError, match="1 unexpected trailing bytes at byte 8 after the awareness"
    ):
        decode_awareness_update(raw_update("null") + b"\x00")


def test_a_truncated_update_is_refused() -> None:
    payload = raw_update('{"user":{"name":"Ann"}}')
    for cut in range(len(payload)):
        with pytest.raises(ProtocolError, match=r"truncated|declares"):
            decode_awareness_update(payload[:cut])


def test_invalid_utf8_in_a_state_is_refused() -> None:
    payload = b"\x01\x00\x01\x04{\xff}\x00"
    with pytest.raises(ProtocolError, match="varString at byte 4 is not valid UTF-8"):
        decode_awareness_update(payload)


@structured_examples
@given(st.lists(awareness_entries, max_size=3))
def test_awareness_updates_round_trip(entries: list[AwarenessEntry]) -> None:
    decoded = decode_awareness_update(encode_awareness_update(entries))
    assert [(e.client_id, e.clock) for e in decoded] == [(e.client_id, e.clock) for e in entries]
    assert all(js_equal(d.state, e.state) for d, e in zip(decoded, entries, strict=True))


@examples
@given(st.binary(max_size=64))
def test_random_bytes_only_ever_raise_protocol_error(payload: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_awareness_update(payload)
