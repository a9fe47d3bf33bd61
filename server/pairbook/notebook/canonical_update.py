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

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pairbook.protocol.lib0.encoder import encode_var_uint

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
    id, highest first (as yjs writes them), whatever order `updates` come in. The bytes
    are copied once, here."""
    groups = [(client, update.pieces[first:end]) for update in updates
              for client, first, end in update.groups]  # fmt: skip
    deletions = [piece for update in updates for first, end in update.deletions
                 for piece in update.pieces[first:end]]  # fmt: skip
    clients = [client for client, _pieces in groups]
    if len(set(clients)) != len(clients):
        raise ValueError("the updates share a client: they cannot be joined as they are")
    groups.sort(key=lambda group: group[0], reverse=True)
    deleting = sum(len(update.deletions) for update in updates)
    out: list[Piece] = [encode_var_uint(len(groups))]
    for _client, pieces in groups:
        out += pieces
    return b"".join([*out, encode_var_uint(deleting), *deletions])


Piece = bytes | memoryview
"""A stretch of an update: its own bytes, or a view of the input's."""


@dataclass(frozen=True, slots=True)
class CanonicalUpdate:
    """A v1 update in canonical form, as pieces (`data` joins them): every client id is a
    piece of its own, listed in `ids` (piece index, client), and each struct group (client,
    first piece, end piece) and delete set entry (first piece, end piece) starts and ends
    on a piece's bound. Its bytes are not copied until they are joined."""

    pieces: list[Piece]
    ids: list[tuple[int, int]]
    groups: list[tuple[int, int, int]]
    deletions: list[tuple[int, int]]

    @property
    def data(self) -> bytes:
        return b"".join(self.pieces)

    def sha256(self, prefix: bytes = b"") -> str:
        """The hex sha256 of `prefix` and the update's bytes."""
        digest = hashlib.sha256(prefix)
        for piece in self.pieces:
            digest.update(piece)
        return digest.hexdigest()

    def moved(self, clients: Mapping[int, int]) -> CanonicalUpdate:
        """The same update written by other clients: each client id found in `clients`
        replaced by the one it maps to (no walk over the update: its ids are known)."""
        pieces = list(self.pieces)
        ids: list[tuple[int, int]] = []
        for index, client in self.ids:
            target = clients.get(client)
            if target is not None:
                pieces[index] = encode_var_uint(target)
                client = target
            ids.append((index, client))
        groups = [(clients.get(c, c), first, end) for c, first, end in self.groups]
        return CanonicalUpdate(pieces, ids, groups, self.deletions)


class _Walk:
    """One walk over an update, cutting it into the pieces of its canonical form (`run`)."""

    def __init__(self, update: bytes) -> None:
        self.reader = _Reader(update)
        self.view = memoryview(update)
        self.pieces: list[Piece] = []  # the output, for the input before `copied`
        self.copied = 0  # the input is taken over as it is from here on
        self.ids: list[tuple[int, int]] = []
        self.groups: list[tuple[int, int, int]] = []
        self.deletions: list[tuple[int, int]] = []

    def run(self) -> CanonicalUpdate:
        reader = self.reader
        for _group in range(reader.var_uint()):
            self._cut(reader.pos)
            first = len(self.pieces)
            structs = reader.var_uint()
            client = self._client()
            reader.var_uint()  # first clock
            for _struct in range(structs):
                self._struct()
            self._cut(reader.pos)
            self.groups.append((client, first, len(self.pieces)))
        for _entry in range(reader.var_uint()):  # delete set
            self._cut(reader.pos)
            first = len(self.pieces)
            self._client()
            for _range in range(reader.var_uint()):
                reader.var_uint()
                reader.var_uint()
            self._cut(reader.pos)
            self.deletions.append((first, len(self.pieces)))
        if reader.pos != len(reader.data):
            raise ValueError(f"{len(reader.data) - reader.pos} bytes left after the update")
        self._cut(reader.pos)
        return CanonicalUpdate(self.pieces, self.ids, self.groups, self.deletions)

    def _cut(self, upto: int) -> None:
        """The input up to `upto` goes to the output as it is."""
        if upto > self.copied:
            self.pieces.append(self.view[self.copied : upto])
            self.copied = upto

    def _client(self) -> int:
        reader = self.reader
        start = reader.pos
        client = reader.var_uint()
        self._cut(start)
        self.ids.append((len(self.pieces), client))
        self.pieces.append(self.view[start : reader.pos])
        self.copied = reader.pos
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
        (of the same length)."""
        reader = self.reader
        start = reader.pos
        reader.skip_any()
        if reader.data[start] in _ANY_NESTED:
            self._cut(start)
            self.pieces.append(_encode_canonical(_Reader(reader.data, start)))
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
