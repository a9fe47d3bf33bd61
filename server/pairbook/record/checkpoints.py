"""Replay checkpoints as stored: the document's whole state, zlib-compressed, and with it,
since blame checkpoints, the blame of every cell at that moment.

A checkpoint is most of a recording's size (the whole document, tombstones included, every
`checkpoint_every` records) and a notebook's text compresses well; seeking pays about a
millisecond to inflate one. A checkpoint with a blame is `BLAME_MAGIC`, then one zlib stream
of the update's length (varint), the update and the blame's state; one without is the
update's zlib stream alone (zlib streams start with 0x78, never with the magic).
"""

from __future__ import annotations

import zlib

BLAME_MAGIC = b"PBB1"


def pack_checkpoint(update: bytes, blame: bytes | None = None) -> bytes:
    if blame is None:
        return zlib.compress(update, 1)
    return BLAME_MAGIC + zlib.compress(_varint(len(update)) + update + blame, 1)


def unpack_checkpoint(stored: bytes) -> bytes:
    """The document's update."""
    if not stored.startswith(BLAME_MAGIC):
        return zlib.decompress(stored)
    data = zlib.decompress(stored[len(BLAME_MAGIC) :])
    length, at = _read_varint(data)
    return data[at : at + length]


def unpack_blame(stored: bytes) -> tuple[bytes, bytes] | None:
    """(the document's update, the blame's state), or None: kept without a blame."""
    if not stored.startswith(BLAME_MAGIC):
        return None
    data = zlib.decompress(stored[len(BLAME_MAGIC) :])
    length, at = _read_varint(data)
    return data[at : at + length], data[at + length :]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varint(data: bytes) -> tuple[int, int]:
    value = shift = at = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at
