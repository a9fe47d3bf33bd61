"""AsBuilt: a room's whole document as the update it was built from, while unchanged."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc

from pairbook.protocol.update import EMPTY_STATE_VECTOR


class AsBuilt:
    """The update a room's Doc was built from (its base history, from its file): a peer
    holding nothing is answered with these bytes as they are, rather than the document
    encoded again (megabytes for a large notebook, on the way to a room's first joins),
    until the document next changes. A one-shot observer drops them then: a deletion
    moves no state vector, so the state vector cannot tell."""

    __slots__ = ("doc", "update")

    def __init__(self, doc: Doc[Any]) -> None:
        self.doc = doc
        self.update: bytes | None = None

    def keep(self, update: bytes) -> None:
        """The document holds exactly `update` now."""
        doc = self.doc

        def changed(_event: object) -> None:
            self.update = None
            doc.unobserve(subscription)

        self.update = update
        subscription = doc.observe(changed)

    def beyond(self, state_vector: bytes) -> bytes:
        """What the document holds beyond `state_vector` (a sync step 2's update)."""
        if self.update is not None and state_vector == EMPTY_STATE_VECTOR:
            return self.update
        return self.doc.get_update(state_vector)
