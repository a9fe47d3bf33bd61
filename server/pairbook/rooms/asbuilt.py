"""AsBuilt: a room's whole document as the update it was built from, while unchanged."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc

from pairbook.protocol.update import EMPTY_STATE_VECTOR


class AsBuilt:
    """The update a room's Doc was built from (its base history, from its file): a peer
    holding nothing is answered with these bytes as they are, rather than the document
    encoded again (megabytes for a large notebook, on the way to a room's first joins),
    while the document is unchanged: its state vector and its delete set (the update at
    its own state holds nothing else) are what they were when it was built. A deletion
    moves no state vector, so the state vector alone cannot tell.

    No observer: pycrdt keeps a Doc's observers in the Doc, where the garbage collector
    cannot see them, so the one-shot observer this used kept every room's document (and
    these bytes) alive for good once the room closed before a change had fired it."""

    __slots__ = ("_deletions", "_state", "doc", "update")

    def __init__(self, doc: Doc[Any]) -> None:
        self.doc = doc
        self.update: bytes | None = None
        self._state = b""
        self._deletions = b""

    def keep(self, update: bytes) -> None:
        """The document holds exactly `update` now."""
        self.update = update
        self._state = self.doc.get_state()
        self._deletions = self.doc.get_update(self._state)

    def beyond(self, state_vector: bytes) -> bytes:
        """What the document holds beyond `state_vector` (a sync step 2's update)."""
        if self.update is not None and state_vector == EMPTY_STATE_VECTOR:
            state = self.doc.get_state()
            if state == self._state and self.doc.get_update(state) == self._deletions:
                return self.update
            self.update = None  # changed since it was built: encoded from now on
        return self.doc.get_update(state_vector)
