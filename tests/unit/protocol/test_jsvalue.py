"""JavaScript semantics: JSON text identical to JSON.stringify, JSON.parse's strictness, lengths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pairbook.errors import ProtocolError
from pairbook.protocol.jsvalue import (
    js_key_order,
    js_number_to_string,
    json_parse,
    json_stringify,
    json_type_name,
    utf16_length,
)
from pairbook.protocol.messages import MessageType

from .npm import untag
from .values import examples, js_equal, json_values, structured_examples


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_length("abc") == 3
    assert utf16_length("héllo") == 5
    assert utf16_length("🐍") == 2
    assert utf16_length("👩‍👩‍👧") == 8
    assert utf16_length("") == 0


def test_json_stringify_formats_numbers_as_javascript_does(npm: dict[str, Any]) -> None:
    for case in npm["jsvalue"]["numbers"]:
        value = untag(case["value"])
        assert json_stringify(value) == case["text"], case
        assert json_stringify(float(value)) == case["text"], case


def test_json_stringify_escapes_strings_as_javascript_does(npm: dict[str, Any]) -> None:
    for case in npm["jsvalue"]["strings"]:
        assert json_stringify(case["value"]) == case["text"], case


def test_json_stringify_orders_integer_like_keys_first_as_javascript_does(
    npm: dict[str, Any],
) -> None:
    for case in npm["jsvalue"]["key_order"]:
        assert json_stringify(dict(case["entries"])) == case["text"], case


def test_js_key_order_keeps_insertion_order_without_array_indices() -> None:
    assert js_key_order(["b", "a", "01", "-1", "1.5"]) == ["b", "a", "01", "-1", "1.5"]


def test_json_type_names_are_javascripts() -> None:
    values: list[object] = [None, True, 1, 1.5, "s", [], {}]
    names = [json_type_name(value) for value in values]
    assert names == ["null", "boolean", "number", "number", "string", "array", "object"]


def test_json_stringify_writes_non_finite_numbers_as_null() -> None:
    assert json_stringify([float("nan"), float("inf"), -float("inf")]) == "[null,null,null]"


def test_json_stringify_joins_surrogate_halves_into_one_character() -> None:
    assert json_stringify("\ud83d\udc0d") == '"🐍"'


def test_json_stringify_writes_int_enums_as_plain_numbers() -> None:
    assert json_stringify({"type": MessageType.COMMAND}) == '{"type":100}'


def test_json_stringify_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="keys must be str"):
        json_stringify({1: "x"})
    with pytest.raises(TypeError, match="bytes is not JSON serializable"):
        json_stringify(b"x")


@examples
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_js_number_to_string_round_trips_every_finite_float(number: float) -> None:
    assert float(js_number_to_string(number)) == number


@structured_examples
@given(json_values)
def test_json_parse_reads_back_what_json_stringify_writes(value: object) -> None:
    assert js_equal(json_parse(json_stringify(value), "value"), value)


@examples
@given(st.text())
def test_json_stringify_escapes_any_text_as_json_does(text: str) -> None:
    assert json_stringify(text) == json.dumps(text, ensure_ascii=False)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "[1, NaN]"])
def test_json_parse_rejects_what_javascript_json_parse_rejects(text: str) -> None:
    with pytest.raises(ProtocolError, match="the state is not valid JSON"):
        json_parse(text, "the state")


def test_json_parse_reports_where_the_json_breaks() -> None:
    with pytest.raises(ProtocolError, match=r"the state is not valid JSON: .* at character 6"):
        json_parse('{"a": }', "the state")


def test_json_parse_turns_deep_nesting_into_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="nested too deeply"):
        json_parse("[" * 100_000 + "]" * 100_000, "the state")
