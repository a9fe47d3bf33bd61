"""CellsWatch: the one deep observer of a room's `cells` array, shared by its services.

pycrdt builds the Python event objects of a transaction (each changed type wrapped, each
delta read out of the Rust side) once per observer, and each service then looked the cell up
again: with the mob service and the kernel-state view each observing the cells, every
keystroke paid for all of it twice. The room holds one subscription, reads the events once
into a `CellsChange`, and hands it to every service's observer, in the order they came.

A keystroke is the common case and is read cheaply: the subscription is pycrdt's raw one
(its Rust events, not wrapped), and when every event of a transaction is below a cell (a
source typed into, an output appended) only the events' paths are read, and each cell's id
comes from a cache of ids by index. Anything else (cells inserted, moved or deleted, a cell's
own keys set) is read as before, from pycrdt's wrapped events, and empties the cache.

The same events tell the room whether a peer's update left a cell no notebook client can
read (`check_shapes`, `faults`): only the cells it inserted or whose own keys it set are
looked at, so a keystroke costs nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from pycrdt import Array, Doc, Subscription
from pycrdt._base import event_types  # pycrdt's wrapper of each raw event type

from pairbook.notebook.cellshape import touched_faults
from pairbook.schema import CELLS
from pairbook.service import CellsChange, CellsObserver, read_cells_change

log = logging.getLogger("pairbook.room")


class CellsWatch:
    """One room's observers of its cells, behind one pycrdt subscription (made when the
    first observer comes, dropped when the last goes)."""

    def __init__(self, doc: Doc[Any], room_id: str, *, check_shapes: bool = False) -> None:
        self._doc = doc
        self._room_id = room_id
        self._observers: list[CellsObserver] = []
        self._subscription: Subscription | None = None
        self._ycells: Array[Any] | None = None
        self._ids: dict[int, str] = {}
        """Cell ids by index, valid until the cells are inserted, moved or deleted or a
        cell's own keys change (each of which the subscription sees)."""
        self._shapes = False
        self.faults: list[str] = []
        """What the transactions since it was last cleared left in the cells that a
        notebook client cannot read (`notebook.cellshape`), once `check_shapes` was called."""
        if check_shapes:
            self.check_shapes()

    def __len__(self) -> int:
        return len(self._observers)

    @property
    def subscribed(self) -> bool:
        """Whether the document has the (one) subscription."""
        return self._subscription is not None

    def check_shapes(self) -> None:
        """Note in `faults` every cell a change leaves unreadable, from now on (subscribed
        for good)."""
        self._shapes = True
        self._subscribe()

    def observe(self, observer: CellsObserver) -> Callable[[], None]:
        """Call `observer` with the deep events of every transaction that changes the cells
        (inside it: bookkeeping only); returns the function that stops it."""
        self._observers.append(observer)
        self._subscribe()
        return lambda: self._forget(observer)

    def _subscribe(self) -> None:
        if self._subscription is None:
            self._ids.clear()  # not kept while unsubscribed
            self._ycells = self._doc.get(CELLS, type=Array)
            # The raw subscription: pycrdt's observe_deep would wrap every event first.
            self._subscription = self._ycells.integrated.observe_deep(self._dispatch)

    def _forget(self, observer: CellsObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)
        if self._observers or self._shapes:
            return
        if self._subscription is not None and self._ycells is not None:
            self._subscription.drop()
            self._subscription = self._ycells = None

    def _dispatch(self, events: list[Any]) -> None:
        # Called by pycrdt's Rust side with its raw events, inside the transaction. A
        # failure here must neither fail the update nor keep the other observers from
        # seeing it: logged with its traceback. The observers (and the reads here) run
        # inside a read transaction of it, as pycrdt's own observe_deep does.
        assert self._ycells is not None  # subscribed
        # Outside the try, and safe there: entering pycrdt's read transaction over the live
        # one only sets attributes. Were it to raise (a pycrdt upgrade renaming it), the
        # error is neither swallowed nor the end of the subscription: pycrdt raises it from
        # the call that made the change, the change applied (checked on pycrdt 0.14), and
        # for a peer's update notebook/applied takes it for pycrdt failing: what the
        # document took is logged and relayed, the peer's frame refused.
        with self._doc._read_transaction(events[0].transaction):
            try:
                change = self._read(events)
            except Exception:
                log.exception("the cells' change could not be read", extra={"room": self._room_id})
                return
            for observer in tuple(self._observers):
                try:
                    observer(change)
                except Exception:
                    log.exception("a cells observer failed", extra={"room": self._room_id})

    def _read(self, events: Sequence[Any]) -> CellsChange:
        assert self._ycells is not None
        paths = [event.path for event in events]
        if not all(len(path) > 1 for path in paths):  # the cells or a cell's own keys
            self._ids.clear()
            doc = self._doc
            wrapped = [event_types[type(event)](event, doc) for event in events]
            if self._shapes:
                self.faults.extend(touched_faults(self._ycells, wrapped))
            return read_cells_change(self._ycells, wrapped)
        ids = self._ids
        touched: set[str] = set()
        sources: set[str] = set()
        for path in paths:
            index = path[0]
            cell_id = ids.get(index)
            if cell_id is None:
                cell_id = ids[index] = str(self._ycells[index].get("id"))
            touched.add(cell_id)
            if path[1] == "source":
                sources.add(cell_id)
        return CellsChange(frozenset(touched), frozenset(sources), False, False)
