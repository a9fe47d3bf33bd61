"""Replay checkpoints as stored: the document's whole state, zlib-compressed.

A checkpoint is most of a recording's size (the whole document, tombstones included, every
`checkpoint_every` records) and a notebook's text compresses well; seeking pays about a
millisecond to inflate one.
"""

from __future__ import annotations

import zlib


def pack_checkpoint(update: bytes) -> bytes:
    return zlib.compress(update, 1)


def unpack_checkpoint(stored: bytes) -> bytes:
    return zlib.decompress(stored)
