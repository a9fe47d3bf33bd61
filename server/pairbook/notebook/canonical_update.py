"""A Yjs v1 update rewritten so that equal documents give equal bytes.

pycrdt turns a Python dict stored as a plain value (cell metadata values, an output's `data`)
into a Rust HashMap, whose iteration order is random per process: the same notebook then
encodes its JSON objects' keys in a different order on every server start. The items, their
ids and their lengths do not depend on that order, so sorting the keys of every encoded
object gives the same update bytes without changing what any decoder reads.

The walk follows the lib0 v1 encoding of y-crdt/yjs (`writeStructs`, `writeAny`).
"""

from __future__ import annotations

_GC, _SKIP = 0, 10
_CONTENT_DELETED, _CONTENT_JSON, _CONTENT_BINARY, _CONTENT_STRING = 1, 2, 3, 4
_CONTENT_EMBED, _CONTENT_FORMAT, _CONTENT_TYPE, _CONTENT_ANY, _CONTENT_DOC = 5, 6, 7, 8, 9
_TYPE_XML_ELEMENT, _TYPE_XML_HOOK = 3, 5
_HAS_ORIGIN, _HAS_RIGHT_ORIGIN, _HAS_PARENT_SUB = 0x80, 0x40, 0x20

_ANY_FIXED_SIZE = {127: 0, 126: 0, 121: 0, 120: 0, 124: 4, 123: 8, 122: 8}
_ANY_VARINT, _ANY_STRING, _ANY_OBJECT, _ANY_ARRAY, _ANY_BYTES = 125, 119, 118, 117, 116


def canonicalize_update(update: bytes) -> bytes:
    """The same v1 update with the keys of every JSON object value in sorted order.

    Raises ValueError on bytes that are not a v1 update of the kinds pycrdt writes.
    """
    reader = _Reader(update)
    out = bytearray(update)
    for _client in range(reader.var_uint()):
        structs = reader.var_uint()
        reader.var_uint()  # client
        reader.var_uint()  # first clock
        for _struct in range(structs):
            _walk_struct(reader, out)
    for _client in range(reader.var_uint()):  # delete set
        reader.var_uint()
        for _range in range(reader.var_uint()):
            reader.var_uint()
            reader.var_uint()
    if reader.pos != len(update):
        raise ValueError(f"{len(update) - reader.pos} bytes left after the update")
    return bytes(out)


def _walk_struct(reader: _Reader, out: bytearray) -> None:
    info = reader.byte()
    ref = info & 0x1F
    if ref in (_GC, _SKIP):
        reader.var_uint()
        return
    if info & _HAS_ORIGIN:
        reader.var_uint()
        reader.var_uint()
    if info & _HAS_RIGHT_ORIGIN:
        reader.var_uint()
        reader.var_uint()
    if not info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN):
        if reader.var_uint() == 1:
            reader.string()  # root type name
        else:
            reader.var_uint()
            reader.var_uint()
        if info & _HAS_PARENT_SUB:
            reader.string()
    if ref == _CONTENT_ANY:
        for _value in range(reader.var_uint()):
            _rewrite_any(reader, out)
    elif ref == _CONTENT_DELETED:
        reader.var_uint()
    elif ref == _CONTENT_JSON:
        for _value in range(reader.var_uint()):
            reader.string()
    elif ref in (_CONTENT_BINARY, _CONTENT_STRING, _CONTENT_EMBED):
        reader.string()
    elif ref == _CONTENT_FORMAT:
        reader.string()
        reader.string()
    elif ref == _CONTENT_TYPE:
        if reader.var_uint() in (_TYPE_XML_ELEMENT, _TYPE_XML_HOOK):
            reader.string()
    elif ref == _CONTENT_DOC:
        reader.string()
        _rewrite_any(reader, out)
    else:
        raise ValueError(f"unsupported struct content {ref} at byte {reader.pos}")


def _rewrite_any(reader: _Reader, out: bytearray) -> None:
    """Skip the Any value at the cursor and write its canonical form over it in `out`."""
    start = reader.pos
    reader.skip_any()
    out[start : reader.pos] = _encode_canonical(_Reader(reader.data, start))


def _encode_canonical(reader: _Reader) -> bytes:
    """The canonical encoding of the Any value at the cursor (same length, sorted keys)."""
    start = reader.pos
    tag = reader.byte()
    if tag == _ANY_OBJECT:
        size = reader.var_uint()
        header = reader.data[start : reader.pos]
        entries: list[tuple[str, bytes]] = []
        for _entry in range(size):
            key_start = reader.pos
            key = reader.string().decode("utf-8")
            key_bytes = reader.data[key_start : reader.pos]
            entries.append((key, key_bytes + _encode_canonical(reader)))
        entries.sort(key=lambda entry: entry[0])
        return header + b"".join(encoded for _key, encoded in entries)
    if tag == _ANY_ARRAY:
        size = reader.var_uint()
        header = reader.data[start : reader.pos]
        return header + b"".join(_encode_canonical(reader) for _item in range(size))
    reader.pos = start
    reader.skip_any()
    return reader.data[start : reader.pos]


class _Reader:
    """A cursor over lib0-encoded bytes."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise ValueError("update ends in the middle of a value")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def var_uint(self) -> int:
        value, shift = 0, 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    def string(self) -> bytes:
        size = self.var_uint()
        end = self.pos + size
        if end > len(self.data):
            raise ValueError("update ends in the middle of a string")
        value = self.data[self.pos : end]
        self.pos = end
        return value

    def skip_any(self) -> None:
        tag = self.byte()
        if tag in _ANY_FIXED_SIZE:
            self.pos += _ANY_FIXED_SIZE[tag]
            if self.pos > len(self.data):
                raise ValueError("update ends in the middle of a number")
        elif tag == _ANY_VARINT:
            while self.byte() >= 0x80:
                pass
        elif tag in (_ANY_STRING, _ANY_BYTES):
            self.string()
        elif tag == _ANY_OBJECT:
            for _entry in range(self.var_uint()):
                self.string()
                self.skip_any()
        elif tag == _ANY_ARRAY:
            for _item in range(self.var_uint()):
                self.skip_any()
        else:
            raise ValueError(f"unknown value tag {tag} at byte {self.pos - 1}")
