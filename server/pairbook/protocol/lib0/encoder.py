"""lib0 encoding: a buffer writing values byte-for-byte as lib0 (and so yjs) does."""

from __future__ import annotations

import math

from pairbook.protocol.jsvalue import MAX_SAFE_INTEGER, js_key_order
from pairbook.protocol.lib0 import tags
from pairbook.protocol.lib0.tags import BIG_INT64, BITS31, FLOAT32, FLOAT64

_SMALL = [bytes((value,)) for value in range(0x80)]


def encode_var_uint(number: int) -> bytes:
    """Return the LEB128 bytes of a non-negative integer."""
    if 0 <= number < 0x80:
        return _SMALL[number]
    encoder = Encoder()
    encoder.write_var_uint(number)
    return encoder.to_bytes()


def _is_float32(number: float) -> bool:
    try:
        packed = FLOAT32.pack(number)
    except OverflowError:
        return False
    result: float = FLOAT32.unpack(packed)[0]
    return result == number


class Encoder:
    """A growing buffer that writes lib0-encoded values byte-for-byte as lib0 does."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def to_bytes(self) -> bytes:
        """Return everything written so far."""
        return bytes(self._buffer)

    def __len__(self) -> int:
        return len(self._buffer)

    def write_uint8(self, number: int) -> None:
        """Write one byte."""
        self._buffer.append(number)

    def write_bytes(self, data: bytes) -> None:
        """Write raw bytes, with no length prefix."""
        self._buffer += data

    def write_var_uint(self, number: int) -> None:
        """Write an unsigned LEB128 integer."""
        if not 0 <= number <= MAX_SAFE_INTEGER:
            raise ValueError(f"varUint must be in 0..2**53-1, got {number}")
        buffer = self._buffer
        while number > 0x7F:
            buffer.append(0x80 | (number & 0x7F))
            number >>= 7
        buffer.append(number)

    def write_var_int(self, number: int, *, negative_zero: bool = False) -> None:
        """Write a lib0 signed varInt (`negative_zero` writes JavaScript's -0)."""
        if abs(number) > MAX_SAFE_INTEGER:
            raise ValueError(f"varInt must be within ±(2**53-1), got {number}")
        negative = number < 0 or negative_zero
        number = abs(number)
        buffer = self._buffer
        buffer.append((0x80 if number > 0x3F else 0) | (0x40 if negative else 0) | (number & 0x3F))
        number >>= 6
        while number > 0:
            buffer.append((0x80 if number > 0x7F else 0) | (number & 0x7F))
            number >>= 7

    def write_var_uint8array(self, data: bytes) -> None:
        """Write a length-prefixed byte string."""
        self.write_var_uint(len(data))
        self._buffer += data

    def write_var_string(self, text: str) -> None:
        """Write a length-prefixed UTF-8 string (lone surrogates become U+FFFD, as TextEncoder)."""
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
            data = joined.encode("utf-8")
        self.write_var_uint(len(data))
        self._buffer += data

    def write_float32(self, number: float) -> None:
        """Write a big-endian IEEE 754 single."""
        self._buffer += FLOAT32.pack(number)

    def write_float64(self, number: float) -> None:
        """Write a big-endian IEEE 754 double."""
        self._buffer += FLOAT64.pack(number)

    def write_big_int64(self, number: int) -> None:
        """Write a big-endian signed 64-bit integer."""
        self._buffer += BIG_INT64.pack(number)

    def _write_number(self, number: float) -> None:
        # lib0 picks the smallest of varInt, float32 and float64 that holds the JS number exactly.
        if number.is_integer() and abs(number) <= BITS31:
            self.write_uint8(tags.ANY_INTEGER)
            self.write_var_int(int(number), negative_zero=math.copysign(1.0, number) < 0)
        elif _is_float32(number):
            self.write_uint8(tags.ANY_FLOAT32)
            self.write_float32(number)
        else:
            self.write_uint8(tags.ANY_FLOAT64)
            self.write_float64(number)

    def write_any(self, value: object) -> None:
        """Write `value` as lib0 `writeAny` writes the equivalent JavaScript value.

        None is null; ints beyond ±2**53 that fit 64 bits become BigInt.
        """
        if value is None:
            self.write_uint8(tags.ANY_NULL)
        elif value is True:
            self.write_uint8(tags.ANY_TRUE)
        elif value is False:
            self.write_uint8(tags.ANY_FALSE)
        elif isinstance(value, str):
            self.write_uint8(tags.ANY_STRING)
            self.write_var_string(value)
        elif isinstance(value, int):
            if -BITS31 <= value <= BITS31:
                self.write_uint8(tags.ANY_INTEGER)
                self.write_var_int(value)
            elif abs(value) <= MAX_SAFE_INTEGER:
                self._write_number(float(value))
            elif -(2**63) <= value < 2**63:
                self.write_uint8(tags.ANY_BIGINT)
                self.write_big_int64(value)
            else:
                raise ValueError(f"integer {value} does not fit a JavaScript number or BigInt64")
        elif isinstance(value, float):
            self._write_number(value)
        elif isinstance(value, dict):
            self.write_uint8(tags.ANY_OBJECT)
            self.write_var_uint(len(value))
            for key in js_key_order(value):
                if not isinstance(key, str):
                    raise TypeError(f"object keys must be str, got {type(key).__name__}")
                self.write_var_string(key)
                self.write_any(value[key])
        elif isinstance(value, list | tuple):
            self.write_uint8(tags.ANY_ARRAY)
            self.write_var_uint(len(value))
            for item in value:
                self.write_any(item)
        elif isinstance(value, bytes | bytearray | memoryview):
            self.write_uint8(tags.ANY_UINT8ARRAY)
            self.write_var_uint8array(bytes(value))
        else:
            raise TypeError(f"{type(value).__name__} cannot be written by lib0 writeAny")
