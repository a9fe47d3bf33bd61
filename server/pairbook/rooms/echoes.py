"""Echo digests: the room recognises an update it relayed itself without decoding it."""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict

RELAYED_KEPT = 512  # recent relayed updates whose echo is recognised without decoding


class Echoes:
    """Keyed digests of the updates the room relayed last (a peer cannot aim at a
    collision): pycrdt's provider sends back every update it applies, byte for byte."""

    def __init__(self, kept: int = RELAYED_KEPT, key: bytes | None = None) -> None:
        self._kept = kept
        self._key = key if key is not None else secrets.token_bytes(16)
        self._relayed: OrderedDict[bytes, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._relayed)

    def _digest(self, update: bytes) -> bytes:
        return hashlib.blake2b(update, digest_size=16, key=self._key).digest()

    def remember(self, update: bytes) -> None:
        """Note an update the room relayed (the oldest beyond `kept` is forgotten)."""
        relayed = self._relayed
        relayed[self._digest(update)] = None
        if len(relayed) > self._kept:
            relayed.popitem(last=False)

    def __contains__(self, update: object) -> bool:
        return isinstance(update, bytes) and self._digest(update) in self._relayed
