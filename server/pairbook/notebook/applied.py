"""Applying an update to a document, and knowing exactly what the document took.

pycrdt (yrs) cannot read everything stock yjs writes (legacy ContentJSON, an XmlHook followed
by an element), and it can fail half-way through an update it did read (a struct whose
parent is not a type): the structs before the failing one are then in the document. A room
must log exactly what its document holds, so it applies first and looks at what came out;
whatever replays a log (loading a room, replay, blame) skips a record pycrdt cannot apply.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, get_update

from pairbook.errors import is_failure
from pairbook.protocol.update import decode_state_vector, encode_state_vector

log = logging.getLogger("pairbook.room")


@dataclass(frozen=True, slots=True)
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


def left_pending(update: bytes, state: bytes) -> bool:
    """Whether structs of an applied `update` wait in a document now at `state`: yrs keeps
    a struct whose origin it lacks pending (an update with a skip in it), and integrates it
    only once what it builds on arrives, with the update that brings that."""
    return get_update(update, state)[:1] != NO_STRUCTS


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
