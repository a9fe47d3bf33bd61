"""JavaScript value semantics the wire formats inherit: JSON text, key order, string length."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable

from pairbook.errors import ProtocolError

MAX_SAFE_INTEGER = 2**53 - 1
"""JavaScript's `Number.MAX_SAFE_INTEGER`: the largest integer a peer can hold exactly."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_ARRAY_INDEX_MAX = 2**32 - 2
_encode_json_string = json.encoder.encode_basestring


def utf16_length(text: str) -> int:
    """Return the JavaScript `length` of `text`: its count of UTF-16 code units."""
    if text.isascii():  # O(1) in CPython, and the common case
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) >> 1


def _is_array_index(key: str) -> bool:
    return (
        key[:1].isdigit()
        and key.isascii()
        and key.isdigit()
        and (key == "0" or key[0] != "0")
        and int(key) <= _ARRAY_INDEX_MAX
    )


def js_key_order(keys: Iterable[str]) -> list[str]:
    """Order object keys as `Object.keys` does: array indices ascending, then insertion order."""
    keys = list(keys)
    indices = [key for key in keys if isinstance(key, str) and _is_array_index(key)]
    if not indices:
        return keys
    indices.sort(key=int)
    index_set = set(indices)
    return indices + [key for key in keys if key not in index_set]


def js_number_to_string(number: float) -> str:
    """Format a finite float as ECMAScript `Number::toString` does (shortest round-trip digits)."""
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    text = repr(abs(number))
    mantissa, _, exponent_text = text.partition("e")
    exponent = int(exponent_text) if exponent_text else 0
    integer_part, _, fraction_part = mantissa.partition(".")
    digits = (integer_part + fraction_part).lstrip("0")
    stripped = digits.rstrip("0")
    # value = 0.<stripped> * 10**point (ECMAScript's k digits and exponent n)
    point = len(stripped) + exponent - len(fraction_part) + (len(digits) - len(stripped))
    digits = stripped
    count = len(digits)
    if count <= point <= 21:
        body = digits + "0" * (point - count)
    elif 0 < point <= 21:
        body = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        body = "0." + "0" * -point + digits
    else:
        power = point - 1
        power_text = f"e+{power}" if power >= 0 else f"e-{-power}"
        body = digits + power_text if count == 1 else digits[0] + "." + digits[1:] + power_text
    return sign + body


def _stringify(value: object, parts: list[str]) -> None:
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, str):
        parts.append(_encode_json_string(value))
    elif isinstance(value, int):
        parts.append(int.__repr__(value))  # plain digits, even for IntEnum members
    elif isinstance(value, float):
        parts.append(js_number_to_string(value) if math.isfinite(value) else "null")
    elif isinstance(value, dict):
        parts.append("{")
        first = True
        for key in js_key_order(value):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, got {type(key).__name__}")
            if not first:
                parts.append(",")
            first = False
            parts.append(_encode_json_string(key))
            parts.append(":")
            _stringify(value[key], parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _stringify(item, parts)
        parts.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_stringify(value: object) -> str:
    """Return the text `JSON.stringify(value)` gives for the same value in JavaScript."""
    parts: list[str] = []
    _stringify(value, parts)
    text = "".join(parts)
    if not text.isascii() and _SURROGATE.search(text):
        # Join surrogate pairs a JS engine would see as one character, escape the lone ones.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        text = _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text


def json_type_name(value: object) -> str:
    """Name a parsed JSON value's type as JSON does: object, array, string, number, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _without_lone_surrogates(value: object) -> object:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {
            _SURROGATE.sub("\ufffd", key): _without_lone_surrogates(item)
            for key, item in value.items()
        }
    return value


def json_parse(text: str, what: str) -> object:
    """Parse `text` as `JSON.parse` does; `what` names it in the error when it is not JSON.

    A lone surrogate escape (`"\\ud800"`) becomes U+FFFD, as a browser's TextEncoder makes
    it: such a string cannot be UTF-8 encoded, and pycrdt panics on it."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
        if _SURROGATE_ESCAPE.search(text):  # pairs were joined by json.loads: the rest are lone
            value = _without_lone_surrogates(value)
        return value
    except RecursionError:
        raise ProtocolError(f"{what} is JSON nested too deeply to parse") from None
    except ValueError as error:  # JSONDecodeError, and NaN/Infinity which JS rejects
        detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        position = f" at character {error.pos}" if isinstance(error, json.JSONDecodeError) else ""
        raise ProtocolError(f"{what} is not valid JSON: {detail}{position}") from None
