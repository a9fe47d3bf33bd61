"""Echo digests: the room recognises an update it relayed itself without decoding it."""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict

RELAYED_KEPT = 512  # recent relayed updates whose echo is recognised without decoding

KEPT_WHOLE = 64
"""Relayed updates up to this many bytes (a keystroke is 15-40) are kept as they are:
looked up by Python's own hash of the bytes and compared whole (nothing for a peer to aim a
collision at), with no keyed digest to compute on the event loop, twice an update (screened,
then remembered): 9-12 µs a keystroke on the loaded bench machine (docs/benchmarks.md, many
rooms, session 19). Longer ones are kept by their keyed digest (16 bytes): a room holds at
most `RELAYED_KEPT` x (this + 33) bytes of them, 49 KB, against 25 KB of digests alone."""


class Echoes:
    """The updates the room relayed last, or their keyed digests for the larger ones (a
    peer cannot aim at a collision): pycrdt's provider sends back every update it applies,
    byte for byte."""

    def __init__(self, kept: int = RELAYED_KEPT, key: bytes | None = None) -> None:
        self._kept = kept
        self._key = key if key is not None else secrets.token_bytes(16)
        self._relayed: OrderedDict[bytes | int, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._relayed)

    def _entry(self, update: bytes) -> bytes | int:
        """The update itself when short; else its keyed digest as an int (never equal to
        a short update's bytes, whatever they hold)."""
        if len(update) <= KEPT_WHOLE:
            return update
        digest = hashlib.blake2b(update, digest_size=16, key=self._key).digest()
        return int.from_bytes(digest, "big")

    def remember(self, update: bytes) -> None:
        """Note an update the room relayed (the oldest beyond `kept` is forgotten)."""
        relayed = self._relayed
        relayed[self._entry(bytes(update))] = None
        if len(relayed) > self._kept:
            relayed.popitem(last=False)

    def __contains__(self, update: object) -> bool:
        return type(update) is bytes and self._entry(update) in self._relayed
