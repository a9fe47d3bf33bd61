"""Applying an update to a document, and knowing exactly what the document took.

pycrdt (yrs) cannot read everything stock yjs writes (legacy ContentJSON, an XmlHook followed
by an element), and it can fail half-way through an update it did read (a struct whose
parent is not a type): the structs before the failing one are then in the document. A room
must log exactly what its document holds, so it applies first and looks at what came out;
whatever replays a log (loading a room, replay, blame) skips a record pycrdt cannot apply.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pycrdt import Doc, get_update, merge_updates

from pairbook.errors import is_failure
from pairbook.protocol.update import decode_state_vector, encode_state_vector
from pairbook.types import value

log = logging.getLogger("pairbook.room")


@value
class Applied:
    """What applying an update did to a document."""

    taken: bytes | None
    """What the document took: the update itself, or the part pycrdt integrated before it
    failed (None: the document did not change)."""

    error: str | None = None
    """Why pycrdt could not apply all of the update (None: it applied it whole)."""

    @property
    def partly(self) -> bool:
        """The update failed, yet the document took some of it."""
        return self.error is not None and self.taken is not None


NO_STRUCTS = b"\x00"
"""How an update without structs starts (no client has any: a delete set at most)."""


class Waiting:
    """The structs a document keeps pending, as one update: yrs keeps a struct whose origin
    it lacks (an update with a skip in it) until what it builds on arrives, and integrates
    it then, with the update that brings that. `Doc.get_update` leaves pending structs out
    (pycrdt 0.14: tests/unit/notebook/test_applied.py), so whatever encodes a document to
    rebuild it later (a room's snapshot, a replay checkpoint, a replayed moment) encodes it
    with them: `encode`. Follow the document with `took` after every update it applies
    while something waits, and after one with a skip in it."""

    def __init__(self, update: bytes | None = None) -> None:
        self.update = update
        """What waits (None: nothing)."""

    def __bool__(self) -> bool:
        return self.update is not None

    @classmethod
    def left_by(cls, updates: Iterable[bytes], state: bytes) -> Waiting:
        """What of `updates`, all applied to a document now at `state`, waits there."""
        return cls(_merged(_rest(update, state) for update in updates))

    def took(self, update: bytes, state: bytes) -> None:
        """The document applied `update` and is now at `state` (its state vector): keep
        what of it, and of what waited before, waits still."""
        self.update = _merged(_rest(part, state) for part in (self.update, update) if part)

    def parts(self) -> list[bytes]:
        """What waits, as a list of updates to pass to `left_by` later."""
        return [] if self.update is None else [self.update]

    def encode(self, doc: Doc[Any]) -> bytes:
        """The whole document, what waits in it included."""
        whole = doc.get_update()
        return whole if self.update is None else merge_updates(whole, self.update)


def _rest(update: bytes, state: bytes) -> bytes | None:
    """The structs of an applied `update` a document at `state` has not integrated."""
    rest = get_update(update, state)
    return None if rest[:1] == NO_STRUCTS else rest


def _merged(updates: Iterable[bytes | None]) -> bytes | None:
    kept = [update for update in updates if update is not None]
    if len(kept) < 2:
        return kept[0] if kept else None
    return merge_updates(*kept)


def apply_update(doc: Doc[Any], update: bytes, known: Mapping[int, int] | None = None) -> Applied:
    """Apply `update` to `doc`; never raises for what pycrdt refuses, says what it took.

    yrs integrates an update's structs before its deletions and stops at the first struct it
    cannot integrate, so what a failed update leaves behind is new structs only: found by
    the state vector, without observing the transaction (which would cost an encoding of
    every update; the room's state machine test and fuzzer check the assumption).

    `known` is the document's state vector when the caller keeps it (a room's sync machine
    does; its state machine test checks it after every step): it is then not read from the
    document before every update (about as long as applying a keystroke), only encoded
    when an update fails."""
    before = doc.get_state() if known is None else None
    try:
        doc.apply_update(update)
    except BaseExceptionGroup as exc:
        # pycrdt gathers what the document's observers raised after the transaction
        # committed: the update is in the document. A bug of ours, not the peer's bad input:
        # logged with its traceback, and the update is logged and relayed like any other.
        log.error("an observer failed while an update was applied", exc_info=exc)
        return Applied(update)
    except BaseException as exc:
        if not is_failure(exc):  # pycrdt raises, or panics, on bytes it cannot apply
            raise
        error = f"{type(exc).__name__}: {exc}"[:300]
        if before is None:
            assert known is not None
            before = encode_state_vector(known)
        after = doc.get_state()
        if decode_state_vector(after) == decode_state_vector(before):
            return Applied(None, error)
        return Applied(doc.get_update(before), error)
    return Applied(update)
