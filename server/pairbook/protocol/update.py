"""The Yjs update v1 format: state vectors, structs and delete sets, parsed but not applied."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import TypeAlias

from pairbook.errors import LimitError, ProtocolError
from pairbook.protocol.jsvalue import MAX_SAFE_INTEGER, json_parse, utf16_length
from pairbook.protocol.keystroke import STRING_REF, read_keystroke
from pairbook.protocol.lib0 import Decoder, Encoder
from pairbook.types import value

ID: TypeAlias = tuple[int, int]
"""A Yjs `ID`: (client, clock)."""

EMPTY_UPDATE = b"\x00\x00"
"""The update of an empty document: no structs, no deletions."""

EMPTY_STATE_VECTOR = b"\x00"
"""The state vector of an empty document: no clients."""

# Struct info byte (yjs src/utils/encoding.js): low five bits are the content ref.
_BITS5 = 0x1F
_HAS_ORIGIN = 0x80  # BIT8
_HAS_RIGHT_ORIGIN = 0x40  # BIT7
_HAS_PARENT_SUB = 0x20  # BIT6
_GC_INFO = 0
_SKIP_INFO = 10

_ANY_REF = 8  # ContentAny: JSON values (a map's values, an array's items)

MAX_VALUE_NESTING = 64
"""How deep a peer's JSON value may nest. Whatever reads one later recurses (pycrdt's
`to_py`, Python on the way to the file, the download, the review): 3,000 levels in a cell's
metadata failed every save of the notebook and answered 500. A notebook file may nest 100
levels (`notebook.jsonshape`) and a value sits a few levels down in it, so the file the room
writes can always be read again."""

# ContentType typeRefs (yjs src/structs/ContentType.js); XmlElement and XmlHook carry a name.
_TYPE_REFS = 7
_NAMED_TYPE_REFS = (3, 5)


class StructKind(Enum):
    """What a struct is: an item with content, garbage-collected space, or a gap in a merge."""

    ITEM = "item"
    GC = "gc"
    SKIP = "skip"


@value
class Struct:
    """One struct of an update: its ID range, origins, parent and content ref (not its content)."""

    client: int
    clock: int
    length: int
    kind: StructKind
    origin: ID | None
    right_origin: ID | None
    parent_root: str | None
    parent_id: ID | None
    parent_sub: str | None
    content_ref: int


@value
class UpdateSummary:
    """What an update holds: its structs in wire order and its delete set."""

    structs: tuple[Struct, ...]
    delete_set: dict[int, tuple[tuple[int, int], ...]]

    def ranges(self) -> dict[int, tuple[int, int]]:
        """Per client, the first clock and end clock (exclusive) of its structs, skips included."""
        result: dict[int, tuple[int, int]] = {}
        for struct in self.structs:
            end = struct.clock + struct.length
            first = result.get(struct.client)
            result[struct.client] = (struct.clock if first is None else first[0], end)
        return result

    @property
    def is_empty(self) -> bool:
        """Whether the update neither adds structs nor deletes anything."""
        return not self.structs and not self.delete_set


def read_state_vector(decoder: Decoder) -> dict[int, int]:
    """Read a state vector (varUint count, then client and clock pairs) from `decoder`."""
    count = decoder.read_var_uint()
    state_vector: dict[int, int] = {}
    for _ in range(count):
        client_pos = decoder.pos
        client = decoder.read_var_uint()
        if client in state_vector:
            raise ProtocolError(f"state vector names client {client} twice, at byte {client_pos}")
        state_vector[client] = decoder.read_var_uint()
    return state_vector


def decode_state_vector(sv: bytes) -> dict[int, int]:
    """Decode an encoded state vector into client -> clock, whatever order the entries are in."""
    decoder = Decoder(sv)
    state_vector = read_state_vector(decoder)
    decoder.expect_done("the state vector")
    return state_vector


def encode_state_vector(sv: Mapping[int, int]) -> bytes:
    """Encode client -> clock as Yjs does, clients sorted descending."""
    encoder = Encoder()
    encoder.write_var_uint(len(sv))
    for client in sorted(sv, reverse=True):
        encoder.write_var_uint(client)
        encoder.write_var_uint(sv[client])
    return encoder.to_bytes()


def _read_json(decoder: Decoder, what: str) -> object:
    pos = decoder.pos
    return json_parse(decoder.read_var_string(), f"{what} at byte {pos}")


def _read_content_deleted(decoder: Decoder) -> int:
    return decoder.read_var_uint()


def _read_content_json(decoder: Decoder) -> int:
    count = decoder.read_var_uint()
    for _ in range(count):
        pos = decoder.pos
        text = decoder.read_var_string()
        if text != "undefined":
            json_parse(text, f"ContentJSON value at byte {pos}")
    return count


def _read_content_binary(decoder: Decoder) -> int:
    decoder.skip_var_uint8array()
    return 1


def _read_content_string(decoder: Decoder) -> int:
    return utf16_length(decoder.read_var_string())


def _read_content_embed(decoder: Decoder) -> int:
    _read_json(decoder, "ContentEmbed")
    return 1


def _read_content_format(decoder: Decoder) -> int:
    decoder.read_var_string()
    _read_json(decoder, "ContentFormat value")
    return 1


def _read_content_type(decoder: Decoder) -> int:
    pos = decoder.pos
    type_ref = decoder.read_var_uint()
    if type_ref >= _TYPE_REFS:
        raise ProtocolError(
            f"unknown ContentType typeRef {type_ref} at byte {pos}: expected 0 to 6"
        )
    if type_ref in _NAMED_TYPE_REFS:
        decoder.read_var_string()
    return 1


def _read_content_any(decoder: Decoder, nesting: int | None = None) -> int:
    count = decoder.read_var_uint()
    for _ in range(count):
        decoder.read_any(nesting)
    return count


def _read_content_doc(decoder: Decoder) -> int:
    decoder.read_var_string()
    pos = decoder.pos
    options = decoder.read_any()
    if not isinstance(options, dict):
        # yjs spreads and reads fields of the options: anything but an object crashes a client.
        raise ProtocolError(f"ContentDoc options at byte {pos} are not an object")
    return 1


_CONTENT_READERS: dict[int, Callable[[Decoder], int]] = {
    1: _read_content_deleted,
    2: _read_content_json,
    3: _read_content_binary,
    4: _read_content_string,
    5: _read_content_embed,
    6: _read_content_format,
    7: _read_content_type,
    8: _read_content_any,
    9: _read_content_doc,
}


def read_content(decoder: Decoder, content_ref: int) -> int:
    """Read (and check) an item's content of this ref; its length in clock units."""
    return _CONTENT_READERS[content_ref](decoder)


def _read_id(decoder: Decoder, client: int, clock: int, what: str) -> ID:
    pos = decoder.pos
    id_client = decoder.read_var_uint()
    id_clock = decoder.read_var_uint()
    if id_client == client and id_clock >= clock:
        # A client's structs are integrated in clock order, so yjs assumes this one exists and
        # crashes ("reading 'id'" / "Unexpected case") where pycrdt would accept and relay it.
        raise ProtocolError(
            f"item {client}:{clock} names {client}:{id_clock} as its {what} at byte {pos}, "
            "but a client can only refer to its own earlier structs"
        )
    return (id_client, id_clock)


def _read_item(
    decoder: Decoder, client: int, clock: int, info: int, nesting: int | None = None
) -> Struct:
    origin = _read_id(decoder, client, clock, "origin") if info & _HAS_ORIGIN else None
    right_origin = (
        _read_id(decoder, client, clock, "right origin") if info & _HAS_RIGHT_ORIGIN else None
    )
    parent_root = parent_id = parent_sub = None
    if not info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN):
        # Without origins the parent cannot be copied from a neighbour, so it is written here.
        info_pos = decoder.pos
        parent_info = decoder.read_var_uint()
        if parent_info == 1:
            parent_root = decoder.read_var_string()
        elif parent_info == 0:
            parent_id = _read_id(decoder, client, clock, "parent")
        else:
            raise ProtocolError(f"parentInfo {parent_info} at byte {info_pos}: expected 0 or 1")
        if info & _HAS_PARENT_SUB:
            parent_sub = decoder.read_var_string()
    content_ref = info & _BITS5
    if content_ref == _ANY_REF and nesting is not None:
        length = _read_content_any(decoder, nesting)
    else:
        length = _CONTENT_READERS[content_ref](decoder)
    return Struct(
        client,
        clock,
        length,
        StructKind.ITEM,
        origin,
        right_origin,
        parent_root,
        parent_id,
        parent_sub,
        content_ref,
    )


_NO_LINKS: tuple[None, None, None, None, None] = (None, None, None, None, None)
_GAP_KINDS = {_GC_INFO: StructKind.GC, _SKIP_INFO: StructKind.SKIP}


class _Budget:
    """How many more structs and deleted ranges an update may declare."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, count: int) -> None:
        # Checked against the counts an update declares up front, before reading what they
        # count: an update too big to be worth decoding is refused at once.
        if self.left is not None:
            self.left -= count
            if self.left < 0:
                raise LimitError(
                    f"the update holds more than {self.limit} structs and deleted ranges; "
                    "send it in smaller parts"
                )


def _read_structs(
    decoder: Decoder, structs: list[Struct], budget: _Budget, nesting: int | None = None
) -> None:
    read_var_uint = decoder.read_var_uint
    read_uint8 = decoder.read_uint8
    clients: set[int] = set()
    for _ in range(read_var_uint()):
        struct_count = read_var_uint()
        budget.spend(struct_count)
        client_pos = decoder.pos
        client = read_var_uint()
        if client in clients:
            # yjs would silently drop the first section, so its clocks would not add up.
            raise ProtocolError(
                f"update has two struct sections for client {client}, at byte {client_pos}"
            )
        clients.add(client)
        clock = read_var_uint()
        for _ in range(struct_count):
            info_pos = decoder.pos
            info = read_uint8()
            kind = _GAP_KINDS.get(info)
            if kind is not None:
                struct = Struct(client, clock, read_var_uint(), kind, *_NO_LINKS, info)
            elif 0 < info & _BITS5 < _SKIP_INFO:
                struct = _read_item(decoder, client, clock, info, nesting)
            else:
                raise ProtocolError(f"unknown struct info {info:#04x} at byte {info_pos}")
            if struct.length == 0:
                raise ProtocolError(
                    f"zero-length struct at byte {info_pos}: clocks would not advance"
                )
            clock += struct.length
            if clock > MAX_SAFE_INTEGER:
                raise ProtocolError(f"struct at byte {info_pos} ends beyond clock 2**53 - 1")
            structs.append(struct)


def read_delete_set(
    decoder: Decoder, budget: _Budget | None = None
) -> dict[int, tuple[tuple[int, int], ...]]:
    """Read a v1 delete set: per client, (clock, len) ranges."""
    client_count = decoder.read_var_uint()
    if client_count == 0:
        return {}
    delete_set: dict[int, list[tuple[int, int]]] = {}
    for _ in range(client_count):
        client = decoder.read_var_uint()
        range_count = decoder.read_var_uint()
        if budget is not None:
            budget.spend(range_count)
        if range_count == 0:
            continue
        ranges = delete_set.setdefault(client, [])  # yjs merges repeated clients
        for _ in range(range_count):
            pos = decoder.pos
            clock = decoder.read_var_uint()
            length = decoder.read_var_uint()
            if length == 0:  # yjs fails applying it ("Unexpected case")
                raise ProtocolError(f"deleted range at byte {pos} has length 0")
            if clock + length > MAX_SAFE_INTEGER:
                raise ProtocolError(f"deleted range at byte {pos} ends beyond clock 2**53 - 1")
            ranges.append((clock, length))
    return {client: tuple(ranges) for client, ranges in delete_set.items()}


def decode_update(
    update: bytes, *, max_structs: int | None = None, max_nesting: int | None = None
) -> UpdateSummary:
    """Validate a v1 update completely and summarize its structs and delete set.

    `max_structs` bounds the structs plus deleted ranges it may hold (LimitError beyond);
    `max_nesting` how deep the objects and arrays of its JSON values nest (ProtocolError).
    A keystroke (one string item, no deletions) is read by `protocol.keystroke`, to the
    same summary."""
    if max_structs is None or max_structs >= 1:
        typed = read_keystroke(update)
        if typed is not None:
            client, clock, length, origin, right_origin = typed
            item = Struct(client, clock, length, StructKind.ITEM, origin, right_origin, *_NO_PARENT)
            return UpdateSummary((item,), {})
    return read_update(update, max_structs=max_structs, max_nesting=max_nesting)


_NO_PARENT = (None, None, None, STRING_REF)


def read_update(
    update: bytes, *, max_structs: int | None = None, max_nesting: int | None = None
) -> UpdateSummary:
    """`decode_update` through the general reader alone, whatever the update holds."""
    decoder = Decoder(update)
    structs: list[Struct] = []
    budget = _Budget(max_structs)
    _read_structs(decoder, structs, budget, max_nesting)
    delete_set = read_delete_set(decoder, budget)
    if not decoder.done:
        decoder.expect_done("the update's delete set")
    return UpdateSummary(tuple(structs), delete_set)
