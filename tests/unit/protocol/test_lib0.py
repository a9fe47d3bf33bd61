"""lib0 encoding: byte-identical to npm lib0, round-trips, and only ProtocolError on bad input."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pairbook.errors import ProtocolError
from pairbook.protocol.jsvalue import MAX_SAFE_INTEGER
from pairbook.protocol.lib0 import Decoder, Encoder, encode_var_uint

from .npm import untag
from .values import examples, structured_examples

any_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


def encoded(write: str, value: object) -> bytes:
    encoder = Encoder()
    getattr(encoder, write)(value)
    return encoder.to_bytes()


def same_value(left: Any, right: Any) -> bool:
    if isinstance(left, float) and math.isnan(left):
        return isinstance(right, float) and math.isnan(right)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same_value, left, right))
    if isinstance(left, dict):
        return list(left) == list(right) and all(same_value(left[k], right[k]) for k in left)
    return bool(left == right)


def test_var_uints_match_npm_lib0_bytes(npm: dict[str, Any]) -> None:
    for case in npm["lib0"]["var_uint"]:
        data = bytes.fromhex(case["encoded"])
        assert encoded("write_var_uint", case["value"]) == data
        assert encode_var_uint(case["value"]) == data
        assert Decoder(data).read_var_uint() == case["value"]


def test_var_ints_match_npm_lib0_bytes_including_negative_zero(npm: dict[str, Any]) -> None:
    for case in npm["lib0"]["var_int"]:
        data = bytes.fromhex(case["encoded"])
        value = untag(case["value"])
        encoder = Encoder()
        encoder.write_var_int(int(value), negative_zero=math.copysign(1, value) < 0)
        assert encoder.to_bytes() == data, case
        assert Decoder(data).read_var_int() == value


def test_var_strings_match_npm_lib0_bytes(npm: dict[str, Any]) -> None:
    for case in npm["lib0"]["var_string"]:
        data = bytes.fromhex(case["encoded"])
        assert encoded("write_var_string", case["value"]) == data
        assert Decoder(data).read_var_string() == case["value"]


def test_write_any_matches_npm_lib0_bytes_and_read_any_reads_them(npm: dict[str, Any]) -> None:
    for case in npm["lib0"]["any"]:
        data = bytes.fromhex(case["encoded"])
        value = untag(case["value"])
        small_bigint = (
            isinstance(case["value"], dict)
            and "$bigint" in case["value"]
            and abs(value) <= MAX_SAFE_INTEGER
        )
        if not small_bigint:  # a Python int cannot say it was a BigInt: it is written as a number
            assert encoded("write_any", value) == data, case
        decoder = Decoder(data)
        assert same_value(decoder.read_any(), value), case
        assert decoder.done


def test_read_any_reads_undefined_as_none() -> None:
    assert Decoder(bytes([127])).read_any() is None


def test_read_any_survives_nesting_deeper_than_the_recursion_limit() -> None:
    depth = 50_000
    data = bytes([117, 1]) * depth + bytes([126])
    value = Decoder(data).read_any()
    for _ in range(depth):
        assert isinstance(value, list)
        value = value[0]
    assert value is None


def test_read_any_refuses_a_value_nested_deeper_than_asked() -> None:
    def nested(depth: int) -> bytes:
        return bytes([117, 1]) * depth + bytes([126])

    assert Decoder(nested(64)).read_any(max_nesting=64) is not None
    with pytest.raises(ProtocolError, match="more than 64 levels deep"):
        Decoder(nested(65)).read_any(max_nesting=64)
    with pytest.raises(ProtocolError, match="more than 64 levels deep"):
        Decoder(nested(50_000)).read_any(max_nesting=64)


def test_lone_surrogates_are_written_as_replacement_characters_like_text_encoder() -> None:
    assert encoded("write_var_string", "a\ud800b") == encoded("write_var_string", "a\ufffdb")
    assert encoded("write_var_string", "\ud83d\udc0d") == encoded("write_var_string", "🐍")


def test_decoder_reports_position_done_and_remaining() -> None:
    decoder = Decoder(b"\x05\x81\x01\x02", pos=1)
    assert (decoder.pos, decoder.remaining, decoder.done) == (1, 3, False)
    assert decoder.read_var_uint() == 129
    assert decoder.read_uint8() == 2
    assert (decoder.pos, decoder.remaining, decoder.done) == (4, 0, True)


def test_decoder_reads_only_up_to_its_end() -> None:
    decoder = Decoder(b"\x01\x02\x03", pos=0, end=1)
    assert decoder.read_uint8() == 1
    with pytest.raises(ProtocolError, match="truncated uint8 at byte 1"):
        decoder.read_uint8()


def test_decoder_rejects_a_start_outside_its_input() -> None:
    with pytest.raises(ValueError, match="expected 0 <= pos <= end"):
        Decoder(b"\x00", pos=2)


@pytest.mark.parametrize(
    ("data", "read", "message"),
    [
        (b"", "read_uint8", "truncated uint8 at byte 0"),
        (b"\x80\x80", "read_var_uint", "truncated varUint at byte 0"),
        (b"\xff" * 7 + b"\x7f", "read_var_uint", "varUint at byte 0 exceeds 2\\*\\*53 - 1"),
        (b"\x80" * 10 + b"\x00", "read_var_uint", "varUint at byte 0 is longer than 10 bytes"),
        (b"\xc0", "read_var_int", "truncated varInt at byte 0"),
        (b"\xff" * 8 + b"\x7f", "read_var_int", "varInt at byte 0 exceeds 2\\*\\*53 - 1"),
        (b"\x80" * 10 + b"\x00", "read_var_int", "varInt at byte 0 is longer than 10 bytes"),
        (b"\x05abc", "read_var_uint8array", "declares 5 bytes but only 3 remain"),
        (
            b"\xff\xff\xff\xff\xff\xff\x0f",
            "read_var_string",
            "declares 70368744177663 bytes but only 0 remain",
        ),
        (b"\x03a\xffb", "read_var_string", "not valid UTF-8: invalid start byte at byte 2"),
        (b"\x03\xed\xa0\x80", "read_var_string", "not valid UTF-8"),  # an encoded surrogate
        (b"\x00\x00\x00", "read_float32", "truncated float32 at byte 0"),
        (b"\x00" * 7, "read_float64", "truncated float64 at byte 0"),
        (b"\x00" * 7, "read_big_int64", "truncated bigint64 at byte 0"),
        (b"\x73", "read_any", "unknown readAny tag 115 at byte 0"),
        (b"\x76\x01\x01a\x80", "read_any", "unknown readAny tag 128 at byte 4"),
        (b"\x75\x02\x7e", "read_any", "truncated uint8 at byte 3"),
    ],
)
def test_malformed_input_raises_protocol_error_naming_the_offset(
    data: bytes, read: str, message: str
) -> None:
    with pytest.raises(ProtocolError, match=message):
        getattr(Decoder(data), read)()


def test_expect_done_reports_trailing_bytes() -> None:
    decoder = Decoder(b"\x01\x02\x03")
    decoder.read_uint8()
    with pytest.raises(ProtocolError, match="2 unexpected trailing bytes at byte 1 after the test"):
        decoder.expect_done("the test")


def test_encoder_refuses_integers_a_peer_could_not_read() -> None:
    with pytest.raises(ValueError, match="varUint must be in"):
        Encoder().write_var_uint(-1)
    with pytest.raises(ValueError, match="varUint must be in"):
        Encoder().write_var_uint(2**53)
    with pytest.raises(ValueError, match="varInt must be within"):
        Encoder().write_var_int(-(2**53))
    with pytest.raises(ValueError, match="does not fit"):
        Encoder().write_any(2**64)


def test_write_any_refuses_values_javascript_has_no_equivalent_for() -> None:
    with pytest.raises(TypeError, match="set cannot be written"):
        Encoder().write_any({1, 2})
    with pytest.raises(TypeError, match="object keys must be str"):
        Encoder().write_any({1: "x"})


def test_write_any_writes_integers_beyond_53_bits_as_bigint() -> None:
    data = encoded("write_any", 2**60)
    assert data[0] == 122
    assert Decoder(data).read_any() == 2**60


@examples
@given(st.integers(0, MAX_SAFE_INTEGER))
def test_var_uints_round_trip(number: int) -> None:
    assert Decoder(encoded("write_var_uint", number)).read_var_uint() == number


@examples
@given(st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER))
def test_var_ints_round_trip(number: int) -> None:
    assert Decoder(encoded("write_var_int", number)).read_var_int() == number


@examples
@given(st.text())
def test_var_strings_round_trip(text: str) -> None:
    assert Decoder(encoded("write_var_string", text)).read_var_string() == text


@examples
@given(st.binary())
def test_var_uint8arrays_round_trip(data: bytes) -> None:
    assert Decoder(encoded("write_var_uint8array", data)).read_var_uint8array() == data


@examples
@given(
    st.floats(allow_nan=False),
    st.floats(width=32, allow_nan=False),
    st.integers(-(2**63), 2**63 - 1),
)
def test_fixed_width_numbers_round_trip(double: float, single: float, big: int) -> None:
    encoder = Encoder()
    encoder.write_float64(double)
    encoder.write_float32(single)
    encoder.write_big_int64(big)
    decoder = Decoder(encoder.to_bytes())
    assert decoder.read_float64() == double
    assert decoder.read_float32() == single
    assert decoder.read_big_int64() == big
    assert decoder.done


@structured_examples
@given(any_values)
def test_any_values_round_trip(value: object) -> None:
    decoder = Decoder(encoded("write_any", value))
    assert decoder.read_any() == value
    assert decoder.done


@examples
@given(st.binary(max_size=64))
def test_read_any_of_random_bytes_only_ever_raises_protocol_error(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        Decoder(data).read_any()
