"""A Yjs v1 update rewritten so that equal documents give equal bytes.

pycrdt turns a Python dict stored as a plain value (cell metadata values, an output's `data`)
into a Rust HashMap, whose iteration order is random per process: the same notebook then
encodes its JSON objects' keys in a different order on every server start. The items, their
ids and their lengths do not depend on that order, so sorting the keys of every encoded
object gives the same update bytes without changing what any decoder reads.

The same walk can also move the update to other client ids (`clients`): an item's id, its
origins and its parent id name their client, and nothing else in an update does (besides
the struct groups' and the delete set's headers). So a document can be built once under a
placeholder client id, hashed, and then given the client ids its hash picks.

The walk follows the lib0 v1 encoding of y-crdt/yjs (`writeStructs`, `writeAny`).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_GC, _SKIP = 0, 10
_CONTENT_DELETED, _CONTENT_JSON, _CONTENT_BINARY, _CONTENT_STRING = 1, 2, 3, 4
_CONTENT_EMBED, _CONTENT_FORMAT, _CONTENT_TYPE, _CONTENT_ANY, _CONTENT_DOC = 5, 6, 7, 8, 9
_TYPE_XML_ELEMENT, _TYPE_XML_HOOK = 3, 5
_HAS_ORIGIN, _HAS_RIGHT_ORIGIN, _HAS_PARENT_SUB = 0x80, 0x40, 0x20

_ANY_FIXED_SIZE = {127: 0, 126: 0, 121: 0, 120: 0, 124: 4, 123: 8, 122: 8}
_ANY_VARINT, _ANY_STRING, _ANY_OBJECT, _ANY_ARRAY, _ANY_BYTES = 125, 119, 118, 117, 116
_ANY_NESTED = (_ANY_OBJECT, _ANY_ARRAY)


def canonicalize_update(update: bytes, clients: Mapping[int, int] | None = None) -> bytes:
    """The same v1 update with the keys of every JSON object value in sorted order, and
    every client id found in `clients` replaced by the id it maps to.

    Raises ValueError on bytes that are not a v1 update of the kinds pycrdt writes.
    """
    canonical = canonical_form(update)
    return canonical.moved(clients).data if clients else canonical.data


def canonical_form(update: bytes) -> CanonicalUpdate:
    """`canonicalize_update(update)`, and where its client ids, struct groups and delete set
    entries are. Raises ValueError as `canonicalize_update` does."""
    return _Walk(update).run()


def join_updates(updates: Sequence[CanonicalUpdate]) -> bytes:
    """One v1 update holding the structs and deletions of `updates`, which must each be
    written by clients none of the others has: their struct groups are laid out by client
    id, highest first (as yjs writes them), whatever order `updates` come in."""
    groups = [(client, update.data[start:end]) for update in updates
              for client, start, end in update.groups]  # fmt: skip
    deletions = [update.data[start:end] for update in updates for start, end in update.deletions]
    clients = [client for client, _group in groups]
    if len(set(clients)) != len(clients):
        raise ValueError("the updates share a client: they cannot be joined as they are")
    groups.sort(key=lambda group: group[0], reverse=True)
    counts = (_var_uint(len(groups)), _var_uint(len(deletions)))
    return b"".join([counts[0], *(group for _client, group in groups), counts[1], *deletions])


@dataclass(frozen=True, slots=True)
class CanonicalUpdate:
    """A v1 update in canonical form, and where in its bytes each client id (start, end,
    client), struct group (client, start, end) and delete set entry (start, end) is."""

    data: bytes
    ids: list[tuple[int, int, int]]
    groups: list[tuple[int, int, int]]
    deletions: list[tuple[int, int]]

    def moved(self, clients: Mapping[int, int]) -> CanonicalUpdate:
        """The same update written by other clients: each client id found in `clients`
        replaced by the one it maps to (no walk over the update: its ids are known)."""
        pieces: list[bytes] = []
        ids: list[tuple[int, int, int]] = []
        starts: list[int] = []  # where each id started, and how far later bytes moved after it
        shifts: list[int] = []
        copied = shift = 0
        for start, end, client in self.ids:
            moved = clients.get(client)
            if moved is None:
                ids.append((start + shift, end + shift, client))
                continue
            encoded = _var_uint(moved)
            pieces += (self.data[copied:start], encoded)
            copied = end
            ids.append((start + shift, start + shift + len(encoded), moved))
            shift += len(encoded) - (end - start)
            starts.append(start)
            shifts.append(shift)
        pieces.append(self.data[copied:])

        def at(offset: int) -> int:  # a struct's or entry's bound: never inside an id
            index = bisect.bisect_left(starts, offset)
            return offset + (shifts[index - 1] if index else 0)

        return CanonicalUpdate(
            b"".join(pieces),
            ids,
            [(clients.get(c, c), at(start), at(end)) for c, start, end in self.groups],
            [(at(start), at(end)) for start, end in self.deletions],
        )


class _Walk:
    """One walk over an update, writing its canonical form (`run`)."""

    def __init__(self, update: bytes) -> None:
        self.reader = _Reader(update)
        self.pieces: list[bytes] = []  # the output, for the input before `copied`
        self.copied = 0  # the input is taken over as it is from here on
        self.ids: list[tuple[int, int, int]] = []
        self.groups: list[tuple[int, int, int]] = []
        self.deletions: list[tuple[int, int]] = []

    def run(self) -> CanonicalUpdate:
        reader = self.reader
        for _group in range(reader.var_uint()):
            start = reader.pos
            structs = reader.var_uint()
            client = self._client()
            reader.var_uint()  # first clock
            for _struct in range(structs):
                self._struct()
            self.groups.append((client, start, reader.pos))
        for _entry in range(reader.var_uint()):  # delete set
            start = reader.pos
            self._client()
            for _range in range(reader.var_uint()):
                reader.var_uint()
                reader.var_uint()
            self.deletions.append((start, reader.pos))
        if reader.pos != len(reader.data):
            raise ValueError(f"{len(reader.data) - reader.pos} bytes left after the update")
        self.pieces.append(reader.data[self.copied :])
        return CanonicalUpdate(b"".join(self.pieces), self.ids, self.groups, self.deletions)

    def _client(self) -> int:
        reader = self.reader
        start = reader.pos
        client = reader.var_uint()
        self.ids.append((start, reader.pos, client))
        return client

    def _id(self) -> None:
        self._client()
        self.reader.var_uint()  # clock

    def _struct(self) -> None:
        reader = self.reader
        info = reader.byte()
        ref = info & 0x1F
        if ref in (_GC, _SKIP):
            reader.var_uint()
            return
        if info & _HAS_ORIGIN:
            self._id()
        if info & _HAS_RIGHT_ORIGIN:
            self._id()
        if not info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN):
            if reader.var_uint() == 1:
                reader.skip_string()  # root type name
            else:
                self._id()  # parent
            if info & _HAS_PARENT_SUB:
                reader.skip_string()
        if ref == _CONTENT_ANY:
            for _value in range(reader.var_uint()):
                self._any()
        elif ref == _CONTENT_DELETED:
            reader.var_uint()
        elif ref == _CONTENT_JSON:
            for _value in range(reader.var_uint()):
                reader.skip_string()
        elif ref in (_CONTENT_BINARY, _CONTENT_STRING, _CONTENT_EMBED):
            reader.skip_string()
        elif ref == _CONTENT_FORMAT:
            reader.skip_string()
            reader.skip_string()
        elif ref == _CONTENT_TYPE:
            if reader.var_uint() in (_TYPE_XML_ELEMENT, _TYPE_XML_HOOK):
                reader.skip_string()
        elif ref == _CONTENT_DOC:
            reader.skip_string()
            self._any()
        else:
            raise ValueError(f"unsupported struct content {ref} at byte {reader.pos}")

    def _any(self) -> None:
        """Skip the Any value at the cursor; an object or array goes out in canonical form
        (of the same length, so every offset in the input is the same in the output)."""
        reader = self.reader
        start = reader.pos
        reader.skip_any()
        if reader.data[start] in _ANY_NESTED:
            self.pieces += (
                reader.data[self.copied : start],
                _encode_canonical(_Reader(reader.data, start)),
            )
            self.copied = reader.pos


def _encode_canonical(reader: _Reader) -> bytes:
    """The canonical encoding of the Any value at the cursor (same length, sorted keys)."""
    start = reader.pos
    tag = reader.byte()
    if tag == _ANY_OBJECT:
        size = reader.var_uint()
        header = reader.data[start : reader.pos]
        entries: list[tuple[bytes, bytes]] = []
        for _entry in range(size):
            key_start = reader.pos
            key = reader.string()
            key_bytes = reader.data[key_start : reader.pos]
            entries.append((key, key_bytes + _encode_canonical(reader)))
        # UTF-8 bytes sort as their code points do: the order of the keys as strings.
        entries.sort(key=lambda entry: entry[0])
        return header + b"".join(encoded for _key, encoded in entries)
    if tag == _ANY_ARRAY:
        size = reader.var_uint()
        header = reader.data[start : reader.pos]
        return header + b"".join(_encode_canonical(reader) for _item in range(size))
    reader.pos = start
    reader.skip_any()
    return reader.data[start : reader.pos]


def _var_uint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


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

    def skip_string(self) -> None:
        size = self.var_uint()
        end = self.pos + size
        if end > len(self.data):
            raise ValueError("update ends in the middle of a string")
        self.pos = end

    def string(self) -> bytes:
        start_of_size = self.pos
        self.skip_string()
        size_end = start_of_size
        while self.data[size_end] >= 0x80:
            size_end += 1
        return self.data[size_end + 1 : self.pos]

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
            self.skip_string()
        elif tag == _ANY_OBJECT:
            for _entry in range(self.var_uint()):
                self.skip_string()
                self.skip_any()
        elif tag == _ANY_ARRAY:
            for _item in range(self.var_uint()):
                self.skip_any()
        else:
            raise ValueError(f"unknown value tag {tag} at byte {self.pos - 1}")
