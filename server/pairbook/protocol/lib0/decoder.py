"""lib0 decoding: a cursor reading the varUints, varStrings and `readAny` values of Yjs messages."""

from __future__ import annotations

import struct
from typing import Any

from pairbook.errors import ProtocolError
from pairbook.protocol.jsvalue import MAX_SAFE_INTEGER
from pairbook.protocol.lib0.tags import (
    ANY_ARRAY,
    ANY_BIGINT,
    ANY_FALSE,
    ANY_FLOAT32,
    ANY_FLOAT64,
    ANY_INTEGER,
    ANY_NULL,
    ANY_OBJECT,
    ANY_STRING,
    ANY_TRUE,
    ANY_UINT8ARRAY,
    ANY_UNDEFINED,
    BIG_INT64,
    FLOAT32,
    FLOAT64,
    MAX_VARINT_BYTES,
)


class Decoder:
    """A cursor over bytes that reads lib0-encoded values and raises ProtocolError on bad input."""

    __slots__ = ("_data", "_end", "_pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self._data = data if type(data) is bytes else bytes(data)
        self._end = len(self._data) if end is None else end
        if not 0 <= pos <= self._end <= len(self._data):
            raise ValueError(f"expected 0 <= pos <= end <= {len(self._data)}, got {pos}, {end}")
        self._pos = pos

    @property
    def pos(self) -> int:
        """The offset of the next byte to read."""
        return self._pos

    @property
    def end(self) -> int:
        """The offset where this decoder's input ends."""
        return self._end

    @property
    def done(self) -> bool:
        """Whether every byte has been read."""
        return self._pos >= self._end

    @property
    def remaining(self) -> int:
        """How many bytes are left to read."""
        return self._end - self._pos

    def _truncated(self, what: str, pos: int) -> ProtocolError:
        return ProtocolError(f"truncated {what} at byte {pos}: the input ends at byte {self._end}")

    def expect_done(self, what: str) -> None:
        """Raise ProtocolError if bytes are left after `what`."""
        if self._pos < self._end:
            raise ProtocolError(
                f"{self._end - self._pos} unexpected trailing bytes "
                f"at byte {self._pos} after {what}"
            )

    def read_uint8(self) -> int:
        """Read one byte."""
        pos = self._pos
        if pos >= self._end:
            raise self._truncated("uint8", pos)
        self._pos = pos + 1
        return self._data[pos]

    def read_var_uint(self) -> int:
        """Read an unsigned LEB128 integer, at most `Number.MAX_SAFE_INTEGER`."""
        # Hot path of every decode: one method call, no helper objects. Yjs client ids are
        # random uint32s, so five-byte values are as common as one-byte ones.
        pos = start = self._pos
        end = self._end
        if pos < end:
            data = self._data
            byte = data[pos]
            if byte < 0x80:
                self._pos = pos + 1
                return byte
            number = byte & 0x7F
            shift = 7
            pos += 1
            while pos < end:
                byte = data[pos]
                pos += 1
                number |= (byte & 0x7F) << shift
                if byte < 0x80:
                    if number > MAX_SAFE_INTEGER:
                        raise ProtocolError(f"varUint at byte {start} exceeds 2**53 - 1")
                    self._pos = pos
                    return number
                shift += 7
                if shift >= 7 * MAX_VARINT_BYTES:
                    raise ProtocolError(f"varUint at byte {start} is longer than 10 bytes")
        raise self._truncated("varUint", start)

    def read_var_int(self) -> int:
        """Read a lib0 signed varInt: bit 0x40 of the first byte is the sign, 6 data bits."""
        start = self._pos
        byte = self.read_uint8()
        number = byte & 0x3F
        negative = byte & 0x40
        if byte & 0x80:
            data, end = self._data, self._end
            pos, shift = self._pos, 6
            while True:
                if pos >= end:
                    raise self._truncated("varInt", start)
                byte = data[pos]
                pos += 1
                number |= (byte & 0x7F) << shift
                if byte < 0x80:
                    break
                shift += 7
                if pos - start >= MAX_VARINT_BYTES:
                    raise ProtocolError(f"varInt at byte {start} is longer than 10 bytes")
            if number > MAX_SAFE_INTEGER:
                raise ProtocolError(f"varInt at byte {start} exceeds 2**53 - 1 in magnitude")
            self._pos = pos
        return -number if negative else number

    def _read_length(self, what: str) -> int:
        start = self._pos
        length = self.read_var_uint()
        if length > self._end - self._pos:
            raise ProtocolError(
                f"{what} at byte {start} declares {length} bytes "
                f"but only {self._end - self._pos} remain"
            )
        return length

    def read_var_uint8array(self) -> bytes:
        """Read a length-prefixed byte string."""
        length = self._read_length("varUint8Array")
        pos = self._pos
        self._pos = pos + length
        return self._data[pos : pos + length]

    def skip_var_uint8array(self) -> int:
        """Step over a length-prefixed byte string and return its length."""
        length = self._read_length("varUint8Array")
        self._pos += length
        return length

    def read_var_string(self) -> str:
        """Read a length-prefixed UTF-8 string (invalid UTF-8 is an error, as lib0's is fatal)."""
        length = self._read_length("varString")
        pos = self._pos
        self._pos = pos + length
        try:
            return self._data[pos : pos + length].decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProtocolError(
                f"varString at byte {pos} is not valid UTF-8: {error.reason} "
                f"at byte {pos + error.start}"
            ) from None

    def _read_fixed(self, codec: struct.Struct, what: str) -> Any:
        pos = self._pos
        if self._end - pos < codec.size:
            raise self._truncated(what, pos)
        self._pos = pos + codec.size
        return codec.unpack_from(self._data, pos)[0]

    def read_float32(self) -> float:
        """Read a big-endian IEEE 754 single."""
        value: float = self._read_fixed(FLOAT32, "float32")
        return value

    def read_float64(self) -> float:
        """Read a big-endian IEEE 754 double."""
        value: float = self._read_fixed(FLOAT64, "float64")
        return value

    def read_big_int64(self) -> int:
        """Read a big-endian signed 64-bit integer (a JavaScript BigInt)."""
        value: int = self._read_fixed(BIG_INT64, "bigint64")
        return value

    def _read_any_scalar(self, tag: int, tag_pos: int) -> object:
        if tag == ANY_STRING:
            return self.read_var_string()
        if tag == ANY_INTEGER:
            return self.read_var_int()
        if tag in (ANY_UNDEFINED, ANY_NULL):
            return None
        if tag == ANY_TRUE:
            return True
        if tag == ANY_FALSE:
            return False
        if tag == ANY_FLOAT64:
            return self.read_float64()
        if tag == ANY_FLOAT32:
            return self.read_float32()
        if tag == ANY_BIGINT:
            return self.read_big_int64()
        if tag == ANY_UINT8ARRAY:
            return self.read_var_uint8array()
        raise ProtocolError(f"unknown readAny tag {tag} at byte {tag_pos}: expected 116 to 127")

    def read_any(self, max_nesting: int | None = None) -> object:
        """Read a lib0 `readAny` value; undefined and null both become None. With
        `max_nesting`, a value whose objects and arrays nest deeper is a ProtocolError."""
        tag_pos = self._pos
        tag = self.read_uint8()
        if tag not in (ANY_OBJECT, ANY_ARRAY):
            return self._read_any_scalar(tag, tag_pos)
        # Containers are read with an explicit stack so hostile nesting cannot exhaust recursion.
        root: Any = {} if tag == ANY_OBJECT else []
        count = self.read_var_uint()
        if count == 0:
            return root
        stack: list[list[Any]] = [[root, count, 1]]  # container, items left, its depth
        while stack:
            frame = stack[-1]
            container = frame[0]
            key = self.read_var_string() if type(container) is dict else None
            tag_pos = self._pos
            tag = self.read_uint8()
            child: list[Any] | None = None
            if tag in (ANY_OBJECT, ANY_ARRAY):
                if max_nesting is not None and frame[2] >= max_nesting:
                    raise ProtocolError(
                        f"a value at byte {tag_pos} nests more than {max_nesting} levels deep"
                    )
                value: Any = {} if tag == ANY_OBJECT else []
                count = self.read_var_uint()
                if count:
                    child = [value, count, frame[2] + 1]
            else:
                value = self._read_any_scalar(tag, tag_pos)
            if key is None:
                container.append(value)
            else:
                container[key] = value
            frame[1] -= 1
            if frame[1] == 0:
                stack.pop()
            if child is not None:
                stack.append(child)
        return root
