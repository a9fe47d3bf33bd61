"""A notebook's YNotebook document written straight as the Yjs v1 update pycrdt would encode.

`notebook_to_ydoc` into a fresh Doc, `get_update`, then `canonical_form` gives the very same
bytes, but that is three passes over the megabytes of a large notebook (building the Doc, its
encoding, the walk that sorts the keys of its JSON objects, in all 75% of a 5 MB build).
Here one pass writes the structs, in the order yrs integrates them in `notebook_to_ydoc`'s
single transaction, as pieces of a `CanonicalUpdate` (each client id a piece of its own).

What yrs writes, and so what this module does (its tests compare the two on generated
notebooks, value by value):
- Items get clocks 0, 1, 2... in insertion order; a prelim type is integrated before its
  content, depth first. A map entry names its parent (the root's name, or the type's id) and
  its key; an array's first item names the array, every later one only its left origin (the
  previous item's last id).
- A Text's content is one string item, as long as its UTF-16 code units; an empty Text and an
  empty Array hold no item.
- Any values: a Python int is a Number when it survives the trip through an f64 (else a
  BigInt), a Number is written as an f32 when that is exact (else an f64), objects keep their
  keys in sorted order (the canonical form).

Anything else pycrdt would refuse or take differently (an int beyond 64 bits, a string with a
lone surrogate, a value that is no JSON) raises `Unwritable`: the caller builds the Doc then,
which fails or succeeds just as it always did.
"""

from __future__ import annotations

import struct
from typing import Any

from pairbook.notebook.canonical_update import CanonicalUpdate, Piece
from pairbook.notebook.ipynb import NBFORMAT, NBFORMAT_MINOR
from pairbook.protocol.lib0.encoder import encode_var_uint
from pairbook.schema import CELLS, META

_ANY, _STRING, _TYPE = 8, 4, 7
_HAS_ORIGIN, _HAS_PARENT_SUB = 0x80, 0x20
_ARRAY, _MAP, _TEXT = 0, 1, 2  # YArray, YMap, YText type refs
_ROOT, _NESTED = b"\x01", b"\x00"  # parent info: a root's name, or a type's id
_I64 = 2**63
_F32 = struct.Struct(">f")
_F64 = struct.Struct(">d")
_BIG = struct.Struct(">q")
_LONG = 4096  # bytes of a string written as a piece of its own


class Unwritable(ValueError):
    """The notebook holds a value this module does not write as pycrdt would."""


def notebook_update(nb: dict[str, Any], client: int) -> CanonicalUpdate:
    """The canonical v1 update of `notebook_to_ydoc(nb, Doc(client_id=client))`.

    Raises Unwritable where that is not sure (see the module's docstring)."""
    writer = _Writer(client)
    metadata = nb.get("metadata", {})
    writer.map_entry(None, META, "metadata", _sorted_map(metadata))
    writer.map_entry(None, META, "nbformat", nb.get("nbformat", NBFORMAT))
    writer.map_entry(None, META, "nbformat_minor", nb.get("nbformat_minor", NBFORMAT_MINOR))
    writer.array_items(None, CELLS, [_cell(cell) for cell in nb.get("cells", [])])
    return writer.finish()


class _Map:
    """A prelim Map: its entries in the order they are inserted."""

    __slots__ = ("entries",)

    def __init__(self, entries: dict[str, object]) -> None:
        self.entries = entries


def _sorted_map(value: object) -> _Map:
    """`create_ymap`, as a prelim."""
    if not isinstance(value, dict):
        raise Unwritable(f"a Map from {type(value).__name__}")
    return _Map({key: value[key] for key in sorted(value)})


class _Array:
    __slots__ = ("items",)

    def __init__(self, items: list[object]) -> None:
        self.items = items


class _Text:
    __slots__ = ("text",)

    def __init__(self, value: object) -> None:
        if isinstance(value, list) and all(isinstance(line, str) for line in value):
            value = "".join(value)
        if not isinstance(value, str):
            raise Unwritable(f"a Text from {type(value).__name__}")
        self.text = value


def _cell(cell: object) -> _Map:
    """`create_ycell`, as prelims."""
    if not isinstance(cell, dict):
        raise Unwritable("a cell that is not an object")
    entries: dict[str, object] = {}
    for key in sorted(cell):
        value = cell[key]
        if key == "source":
            entries[key] = _Text(value)
        elif key == "metadata":
            entries[key] = _sorted_map(value)
        elif key == "outputs":
            if not isinstance(value, list):
                raise Unwritable("outputs that are not a list")
            entries[key] = _Array([_output(output) for output in value])
        else:
            entries[key] = value
    if cell.get("cell_type") == "code":
        entries["execution_state"] = "idle"
    return _Map(entries)


def _output(output: object) -> _Map:
    """`create_youtput`, as a prelim."""
    if not isinstance(output, dict):
        raise Unwritable("an output that is not an object")
    typed = _sorted_map(output)
    if "text" in typed.entries and output.get("output_type") == "stream":
        typed.entries["text"] = _Text(typed.entries["text"])
    return typed


class _Writer:
    """The structs of one client, as pieces; `ids` marks the pieces that are its id."""

    def __init__(self, client: int) -> None:
        self.client = client
        self.client_piece = encode_var_uint(client)
        self.pieces: list[Piece] = []
        self.ids: list[tuple[int, int]] = []
        self.clock = 0
        self.structs = 0
        self.body = bytearray()  # the bytes since the last piece

    def finish(self) -> CanonicalUpdate:
        body = self._cut()
        if not self.structs:
            return CanonicalUpdate([b"\x00\x00"], [], [], [])
        # The group's head: struct count, client, first clock; then the structs.
        head = [b"\x01", encode_var_uint(self.structs), self.client_piece, b"\x00"]
        pieces = [*head, *body, b"\x00"]  # no deletions
        shift = len(head)
        ids = [(2, self.client), *((index + shift, client) for index, client in self.ids)]
        return CanonicalUpdate(pieces, ids, [(self.client, 1, len(pieces) - 1)], [])

    def _cut(self) -> list[Piece]:
        if self.body:
            self.pieces.append(bytes(self.body))
            self.body.clear()
        return self.pieces

    def _id(self, clock: int) -> None:
        """The client id (a piece of its own) and `clock`."""
        self._cut()
        self.ids.append((len(self.pieces), self.client))
        self.pieces.append(self.client_piece)
        self.body += encode_var_uint(clock)

    def _parent(self, info: int, parent: int | None, root: str | None) -> None:
        self.body.append(info)
        if parent is None:
            assert root is not None
            self.body += _ROOT
            self._var_string(root)
        else:
            self.body += _NESTED
            self._id(parent)

    def map_entry(self, parent: int | None, root: str | None, key: str, value: object) -> None:
        """One entry of a new Map (a root's when `parent` is None), with its content."""
        content = _type_ref(value)
        self._parent((_ANY if content is None else _TYPE) | _HAS_PARENT_SUB, parent, root)
        self._var_string(key)
        self._content(value, content)

    def array_items(self, parent: int | None, root: str | None, items: list[object]) -> None:
        """The items of a new Array (a root's when `parent` is None), with their content."""
        left: int | None = None
        for item in items:
            content = _type_ref(item)
            if content is None:
                raise Unwritable("a plain value in an Array")  # yrs packs runs of them
            if left is None:
                self._parent(_TYPE, parent, root)
            else:
                self.body.append(_TYPE | _HAS_ORIGIN)
                self._id(left)
            left = self.clock
            self._content(item, content)

    def _content(self, value: object, type_ref: int | None) -> None:
        """The content of the struct being written, and what a type holds after it."""
        own = self.clock
        self.structs += 1
        if type_ref is None:
            self.body += b"\x01"
            self._any(value)
            self.clock += 1
            return
        self.body.append(type_ref)
        self.clock += 1
        if isinstance(value, _Map):
            for key, entry in value.entries.items():
                self.map_entry(own, None, key, entry)
        elif isinstance(value, _Array):
            self.array_items(own, None, value.items)
        elif isinstance(value, _Text) and value.text:
            self._string(own, value.text)

    def _string(self, parent: int, text: str) -> None:
        self._parent(_STRING, parent, None)
        self._var_string(text)
        self.structs += 1
        self.clock += len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2

    def _var_string(self, text: str) -> None:
        try:
            encoded = text.encode()
        except UnicodeEncodeError:
            raise Unwritable("a string with a lone surrogate") from None
        self.body += encode_var_uint(len(encoded))
        if len(encoded) < _LONG:
            self.body += encoded
        else:  # (the megabytes of outputs: not copied into `body`)
            self._cut()
            self.pieces.append(encoded)

    def _any(self, value: object) -> None:
        """lib0's writeAny as yrs writes pycrdt's conversion of `value`, objects' keys
        sorted."""
        kind = type(value)
        body = self.body
        if kind is str:
            body.append(119)
            self._var_string(value)  # type: ignore[arg-type]
        elif value is None:
            body.append(126)
        elif kind is bool:
            body.append(120 if value else 121)
        elif kind is int or kind is float:
            _write_number(body, value)  # type: ignore[arg-type]
        elif kind is dict:
            body.append(118)
            body += encode_var_uint(len(value))  # type: ignore[arg-type]
            for key in sorted(value):  # type: ignore[call-overload]
                if type(key) is not str:
                    raise Unwritable("an object key that is not a string")
                self._var_string(key)
                self._any(value[key])  # type: ignore[index]
        elif kind is list:
            body.append(117)
            body += encode_var_uint(len(value))  # type: ignore[arg-type]
            for item in value:  # type: ignore[attr-defined]
                self._any(item)
        else:
            raise Unwritable(f"a {kind.__name__} value")


def _type_ref(value: object) -> int | None:
    if isinstance(value, _Map):
        return _MAP
    if isinstance(value, _Array):
        return _ARRAY
    if isinstance(value, _Text):
        return _TEXT
    return None


def _write_number(out: bytearray, value: int | float) -> None:
    if type(value) is int:
        if not -_I64 <= value < _I64:
            raise Unwritable("an int beyond 64 bits")  # pycrdt panics
        number = float(value)
        back = _I64 - 1 if number >= _I64 else int(number)  # Rust's `as i64` saturates
        if back != value:
            out.append(122)
            out += _BIG.pack(value)
            return
        value = number
    try:
        single = _F32.pack(value)
    except OverflowError:  # beyond the f32 range: not exact
        single = b""
    if single and _F32.unpack(single)[0] == value:
        out.append(124)
        out += single
    else:
        out.append(123)
        out += _F64.pack(value)
