"""A keystroke's update read without the general reader (`protocol.update`).

Nearly every update a room receives is one person typing: one struct section, one string
item placed by its origin, no deletions (`01 01 client clock 84 origin… len text 00`). The
general reader validates such an update through a Decoder object, a budget and a method
call per field; this reads the same bytes with a few slices and local varUint reads.
It accepts only what the general reader reads to the same struct (the tests compare the
two on every shape they make), and answers None for anything else, including whatever
the general reader would refuse: that reader then reads it, and raises its own error.
"""

from __future__ import annotations

from pairbook.protocol.jsvalue import MAX_SAFE_INTEGER, utf16_length

STRING_REF = 4
"""ContentString's ref: the low five bits of the struct's info byte."""

_HAS_ORIGIN = 0x80
_HAS_RIGHT_ORIGIN = 0x40
_SHORT_BYTES = 8
"""varUints of at most 8 bytes (yjs's client ids are uint32s, five bytes; pycrdt's are up to
53 bits, eight); longer ones are left to the general reader, as are those past 2**53 - 1."""

Keystroke = tuple[int, int, int, tuple[int, int] | None, tuple[int, int] | None]
"""(client, clock, length in UTF-16 units, origin, right origin) of the one string item."""


def _var_uint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, next position), or (-1, pos) when the varUint is truncated or long."""
    try:
        byte = data[pos]
        if byte < 0x80:
            return byte, pos + 1
        number = byte & 0x7F
        shift = 7
        for at in range(pos + 1, pos + _SHORT_BYTES):
            byte = data[at]
            number |= (byte & 0x7F) << shift
            if byte < 0x80:
                return (number, at + 1) if number <= MAX_SAFE_INTEGER else (-1, pos)
            shift += 7
    except IndexError:
        pass
    return -1, pos


def read_keystroke(update: bytes) -> Keystroke | None:
    """The string item of a one-struct typing update with an empty delete set, as
    `decode_update` reads it; None for any other update (or a malformed one)."""
    size = len(update)
    if type(update) is not bytes or size < 8 or update[0] != 1 or update[1] != 1:
        return None
    if update[-1] != 0:  # the delete set's client count: none
        return None
    client, pos = _var_uint(update, 2)
    clock, pos = _var_uint(update, pos)
    if client < 0 or clock < 0 or pos >= size:
        return None
    info = update[pos]
    pos += 1
    if info & 0x1F != STRING_REF or not info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN):
        return None  # with an origin the parent is not written (nor its key)
    origin = right_origin = None
    if info & _HAS_ORIGIN:
        origin_client, pos = _var_uint(update, pos)
        origin_clock, pos = _var_uint(update, pos)
        if origin_client < 0 or origin_clock < 0:
            return None
        origin = (origin_client, origin_clock)
    if info & _HAS_RIGHT_ORIGIN:
        right_client, pos = _var_uint(update, pos)
        right_clock, pos = _var_uint(update, pos)
        if right_client < 0 or right_clock < 0:
            return None
        right_origin = (right_client, right_clock)
    for ref in (origin, right_origin):
        if ref is not None and ref[0] == client and ref[1] >= clock:
            return None  # a client refers only to its own earlier structs: refused there
    count, pos = _var_uint(update, pos)
    if count <= 0 or pos + count != size - 1:  # the text, then the delete set's 0
        return None
    try:
        text = update[pos : pos + count].decode("utf-8")
    except UnicodeDecodeError:
        return None
    length = utf16_length(text)
    if clock + length > MAX_SAFE_INTEGER:
        return None
    return client, clock, length, origin, right_origin
