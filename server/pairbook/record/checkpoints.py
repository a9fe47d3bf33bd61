"""Replay checkpoints as stored: the document's whole state, zlib-compressed, and with it,
since blame checkpoints, the blame of every cell at that moment.

A checkpoint is most of a recording's size (the whole document, tombstones included, every
`checkpoint_every` records) and a notebook's text compresses well; seeking pays about a
millisecond to inflate one. A checkpoint with a blame is `BLAME_MAGIC`, then one zlib stream
of the update's length (varint), the update and the blame's state; one without is the
update's zlib stream alone (zlib streams start with 0x78, never with the magic).

A checkpoint of a document holding pending structs (Waiting) is `WAITING_MAGIC`, then one
zlib stream of the update's length, the update (them included), the waiting structs' length
and the waiting structs, then the blame's state if there is one: whoever replays from it
knows what waits without decoding the whole update.
"""

from __future__ import annotations

import zlib

BLAME_MAGIC = b"PBB1"
WAITING_MAGIC = b"PBW1"


def pack_checkpoint(
    update: bytes, blame: bytes | None = None, waiting: bytes | None = None
) -> bytes:
    """`update`: the whole document, the structs that wait in it included (`waiting`)."""
    if waiting is not None:
        parts = (_varint(len(update)), update, _varint(len(waiting)), waiting, blame or b"")
        return WAITING_MAGIC + zlib.compress(b"".join(parts), 1)
    if blame is None:
        return zlib.compress(update, 1)
    return BLAME_MAGIC + zlib.compress(_varint(len(update)) + update + blame, 1)


def unpack_checkpoint(stored: bytes) -> bytes:
    """The document's update."""
    return _unpack(stored)[0]


def unpack_blame(stored: bytes) -> tuple[bytes, bytes] | None:
    """(the document's update, the blame's state), or None: kept without a blame."""
    update, _, blame = _unpack(stored)
    return None if blame is None else (update, blame)


def unpack_waiting(stored: bytes) -> bytes | None:
    """The structs waiting in the document (part of its update too), or None: none."""
    return _unpack(stored)[1]


def _unpack(stored: bytes) -> tuple[bytes, bytes | None, bytes | None]:
    """(update, waiting structs, blame state)."""
    if stored.startswith(WAITING_MAGIC):
        data = zlib.decompress(stored[len(WAITING_MAGIC) :])
        length, at = _read_varint(data)
        update, at = data[at : at + length], at + length
        length, at = _read_varint(data, at)
        waiting, blame = data[at : at + length], data[at + length :]
        return update, waiting, blame or None
    if not stored.startswith(BLAME_MAGIC):
        return zlib.decompress(stored), None, None
    data = zlib.decompress(stored[len(BLAME_MAGIC) :])
    length, at = _read_varint(data)
    return data[at : at + length], None, data[at + length :]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varint(data: bytes, at: int = 0) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at
