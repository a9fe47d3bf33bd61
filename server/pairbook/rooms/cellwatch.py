"""CellsWatch: the one deep observer of a room's `cells` array, shared by its services.

pycrdt builds the Python event objects of a transaction (each changed type wrapped, each
delta read out of the Rust side) once per observer, and each service then looked the cell up
again: with the mob service and the kernel-state view each observing the cells, every
keystroke paid for all of it twice. The room holds one subscription, reads the events once
into a `CellsChange`, and hands it to every service's observer, in the order they came.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pycrdt import Array, Doc, Subscription

from pairbook.schema import CELLS
from pairbook.service import CellsObserver, read_cells_change

log = logging.getLogger("pairbook.room")


class CellsWatch:
    """One room's observers of its cells, behind one pycrdt subscription (made when the
    first observer comes, dropped when the last goes)."""

    def __init__(self, doc: Doc[Any], room_id: str) -> None:
        self._doc = doc
        self._room_id = room_id
        self._observers: list[CellsObserver] = []
        self._subscription: Subscription | None = None
        self._ycells: Array[Any] | None = None

    def __len__(self) -> int:
        return len(self._observers)

    @property
    def subscribed(self) -> bool:
        """Whether the document has the (one) subscription."""
        return self._subscription is not None

    def observe(self, observer: CellsObserver) -> Callable[[], None]:
        """Call `observer` with the deep events of every transaction that changes the cells
        (inside it: bookkeeping only); returns the function that stops it."""
        self._observers.append(observer)
        if self._subscription is None:
            self._ycells = self._doc.get(CELLS, type=Array)
            self._subscription = self._ycells.observe_deep(self._dispatch)
        return lambda: self._forget(observer)

    def _forget(self, observer: CellsObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)
        if not self._observers and self._subscription is not None and self._ycells is not None:
            self._ycells.unobserve(self._subscription)
            self._subscription = self._ycells = None

    def _dispatch(self, events: list[Any]) -> None:
        # A failure here must neither fail the update (pycrdt would raise it from the
        # apply) nor keep the other observers from seeing it: logged with its traceback.
        assert self._ycells is not None  # subscribed
        try:
            change = read_cells_change(self._ycells, events)
        except Exception:
            log.exception("the cells' change could not be read", extra={"room": self._room_id})
            return
        for observer in tuple(self._observers):
            try:
                observer(change)
            except Exception:
                log.exception("a cells observer failed", extra={"room": self._room_id})
