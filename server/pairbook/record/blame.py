"""Blame: who wrote each line of a cell's source, and when, at any moment of the log.

The log is replayed into a document while every change to a cell's source is followed
character by character: a Yjs text event says where the record inserted and deleted, and
the record says who and when. A cell that reappears under its id (a move re-inserts it,
a type change replaces it) is matched to what it said before, so a moved line keeps its
author. Everything that `SequenceMatcher` finds unchanged keeps its author, too.
"""

from __future__ import annotations

import itertools
import json
import operator
import zlib
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import partial
from typing import Any

from pycrdt import Array, ArrayEvent, Doc, Map, Text, TextEvent

from pairbook.notebook.applied import Waiting, apply_update
from pairbook.schema import CELLS
from pairbook.store.records import UpdateRecord

UNKNOWN = ("", 0, 0.0)
"""The stamp of text that was there before the first record still kept."""

_Change = tuple[list[Any], list[dict[str, Any]] | None]
"""What one record changed in the cells: the event's path, and a source's text delta."""

HELD_AT_MOST = 1000
"""Records a blame holds on to before it works out which of their structs still wait."""


@dataclass(frozen=True, slots=True)
class LineBlame:
    """One line of a cell: its text, who changed it last and when (log seq and time)."""

    line: int
    text: str
    user_id: str
    seq: int
    ts: float
    authors: tuple[str, ...]
    """Everyone whose characters are on the line, most recent last."""

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "text": self.text,
            "user": self.user_id,
            "seq": self.seq,
            "ts": self.ts,
            "authors": list(self.authors),
        }


@dataclass(slots=True)
class _Cell:
    text: bytes
    """The source as UTF-8: pycrdt's text events count bytes."""
    stamps: list[int]
    """Per byte of `text`: an index into `Blame.stamps`."""
    ytext: Text | None = None
    """The document's source text it follows (its length checks each delta)."""


class Blame:
    """A document rebuilt from the log, record by record, with every source character's
    author. Feed it records in seq order with `apply`; ask `lines(cell_id)`."""

    def __init__(
        self,
        base: bytes | None = None,
        base_seq: int = 0,
        *,
        reconcile: bool = True,
        waiting: bytes | None = None,
    ) -> None:
        self.doc: Doc[Any] = Doc()
        self.seq = base_seq
        # What may wait in the document (`waiting`: the structs of `base` that do, then the
        # records applied since): a copy is made from the document's encoding, which leaves
        # pending structs out, so it is made with them (Waiting).
        self._held = Waiting(waiting).parts()
        # The stamps (who, seq, time) that `_Cell.stamps` index, as three parallel lists in
        # seq order: a restored blame holds one per byte of every cell, and as tuples they
        # were most of a restore's time (and garbage collector passes over them).
        self._users: list[str] = [UNKNOWN[0]]
        self._seqs: list[int] = [UNKNOWN[1]]
        self._times: list[float] = [UNKNOWN[2]]
        self._cells: dict[str, _Cell] = {}
        self._ids: list[str] = []  # the cells' ids in document order
        self._ycells = self.doc.get(CELLS, type=Array)
        self._events: list[_Change] = []
        # The observer holds the list, never `self`: pycrdt keeps a callback in the Doc,
        # where the garbage collector cannot see it, so a callback holding the Blame (its
        # bound method) kept every Blame and its document alive for good.
        self._ycells.observe_deep(partial(_collect, self._events))
        if base is not None:
            self.doc.apply_update(base)
            self._events.clear()
            if reconcile:  # else the caller sets the cells and reconciles them itself
                self._reconcile_all(0)

    def apply(self, record: UpdateRecord) -> None:
        """Replay one record on top of the ones before it."""
        self._users.append(record.user_id)
        self._seqs.append(record.seq)
        self._times.append(record.ts)
        stamp = len(self._seqs) - 1
        # A record pycrdt cannot apply is skipped, as on load.
        taken = apply_update(self.doc, record.update).taken
        self.seq = record.seq
        if taken is not None:
            self._held.append(taken)
            if len(self._held) > HELD_AT_MOST:
                self._held = self._waiting().parts()
        events = self._events[:]
        self._events.clear()
        reconcile_all = any(not path for path, _ in events)
        if reconcile_all:  # cells came, went or moved: the events' paths are the new order
            self._ids = self.cell_ids()
        for path, delta in events:
            if not path:
                continue
            index = path[0]
            if not isinstance(index, int) or index >= len(self._ids):
                reconcile_all = True
                continue
            if delta is None or not self._follow(index, delta, stamp):
                self._reconcile(index, stamp)
        if reconcile_all:
            self._reconcile_all(stamp)

    def _follow(self, index: int, delta: list[dict[str, Any]], stamp: int) -> bool:
        """Apply a text delta to the tracked cell; False when it does not fit."""
        cell = self._cells.get(self._ids[index])
        if cell is None or cell.ytext is None:
            return False
        text, stamps, at = cell.text, cell.stamps, 0
        for step in delta:
            if "retain" in step:
                at += int(step["retain"])
            elif "insert" in step:
                inserted = str(step["insert"]).encode("utf-8")
                text = text[:at] + inserted + text[at:]
                stamps[at:at] = [stamp] * len(inserted)
                at += len(inserted)
            elif "delete" in step:
                count = int(step["delete"])
                text = text[:at] + text[at + count :]
                del stamps[at : at + count]
        cell.text = text
        return len(text) == len(cell.ytext)  # pycrdt counts UTF-8 bytes, as `text` does

    def _reconcile(self, index: int, stamp: int, ycell: object = None) -> None:
        if ycell is None:
            ycell = self._ycells[index]
        cell_id = _cell_id(ycell)
        if index < len(self._ids):
            self._ids[index] = cell_id
        source = ycell.get("source") if isinstance(ycell, Map) else None
        ytext = source if isinstance(source, Text) else None
        new = (str(source) if ytext is not None else str(source or "")).encode("utf-8")
        old = self._cells.get(cell_id)
        if old is None:
            self._cells[cell_id] = _Cell(new, [stamp] * len(new), ytext)
            return
        old.ytext = ytext
        if old.text == new:
            return
        stamps: list[int] = []
        matcher = SequenceMatcher(None, old.text, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                stamps.extend(old.stamps[i1:i2])
            else:
                stamps.extend([stamp] * (j2 - j1))
        self._cells[cell_id] = _Cell(new, stamps, ytext)

    def _reconcile_all(self, stamp: int) -> None:
        ycells = list(self._ycells)  # one pass over the cells, not a lookup by index each
        self._ids = [_cell_id(ycell) for ycell in ycells]
        for index, ycell in enumerate(ycells):
            self._reconcile(index, stamp, ycell)

    def copy(self) -> Blame:
        """An independent blame at the same moment (to keep one and go on with the other)."""
        waiting = self._waiting()
        twin = Blame(waiting.encode(self.doc), self.seq, waiting=waiting.update)
        twin._users, twin._seqs = list(self._users), list(self._seqs)
        twin._times = list(self._times)
        twin._cells = {
            key: _Cell(cell.text, list(cell.stamps)) for key, cell in self._cells.items()
        }
        twin._reconcile_all(0)  # binds the twin's cells to its own document's texts
        return twin

    def _waiting(self) -> Waiting:
        return Waiting.left_by(self._held, self.doc.get_state())

    def state(self) -> bytes:
        """Every cell's authorship as bytes, to keep beside a checkpoint of `doc` (see
        `restore`): the stamps still referred to, in seq order (seq and time as deltas,
        time to the millisecond), and per cell its text and stamp per byte (as deltas)."""
        used = sorted({s for cell in self._cells.values() for s in cell.stamps} | {0},
                      key=self._seqs.__getitem__)  # fmt: skip
        order = {stamp: index for index, stamp in enumerate(used)}
        users: dict[str, int] = {}
        seqs, times, who = [], [], []
        last_seq = last_ms = 0
        for stamp in used:
            user, seq, ts = self.stamp(stamp)
            ms = round(ts * 1000)
            seqs.append(seq - last_seq)
            times.append(ms - last_ms)
            who.append(users.setdefault(user, len(users)))
            last_seq, last_ms = seq, ms
        cells = {}
        for cell_id, cell in self._cells.items():
            deltas, last = [], 0
            for stamp in cell.stamps:
                deltas.append(order[stamp] - last)
                last = order[stamp]
            cells[cell_id] = [cell.text.decode("utf-8", errors="surrogateescape"), deltas]
        kept = {"users": list(users), "seqs": seqs, "ms": times, "who": who, "cells": cells}
        return zlib.compress(json.dumps(kept, separators=(",", ":")).encode(), 6)

    @classmethod
    def restore(
        cls, base: bytes, base_seq: int, state: bytes, waiting: bytes | None = None
    ) -> Blame:
        """The blame kept with a checkpoint: `base` is the document at `base_seq`, `state`
        what `state()` gave there. A cell whose kept text is not the document's is
        reconciled as after any record (its unchanged characters keep their authors).

        A checkpoint's blame holds a stamp per byte of every cell (80,000 in a 100,000-update
        session): they are rebuilt with C-level iterators, not a Python loop per stamp."""
        blame = cls(base, base_seq, reconcile=False, waiting=waiting)
        kept = json.loads(zlib.decompress(state))
        seqs, times, who = kept["seqs"], kept["ms"], kept["who"]
        if not len(seqs) == len(times) == len(who):
            raise ValueError("a kept blame's stamps do not line up")
        users = [str(user) for user in kept["users"]]
        if not seqs or seqs[0] != 0:  # the first stamp kept is not UNKNOWN: keep that first
            who, seqs, times = [-1, *who], [0, *seqs], [0, *times]
            users.append(UNKNOWN[0])
        blame._users = list(map(users.__getitem__, who))
        blame._seqs = list(itertools.accumulate(seqs))
        blame._times = list(
            map(operator.truediv, itertools.accumulate(times), itertools.repeat(1000))
        )
        shift = len(blame._seqs) - len(kept["seqs"])
        for cell_id, (text, deltas) in kept["cells"].items():
            indexes = list(itertools.accumulate(deltas, initial=shift))[1:]
            blame._cells[str(cell_id)] = _Cell(text.encode("utf-8", "surrogateescape"), indexes)
        blame._reconcile_all(0)
        return blame

    def stamp(self, index: int) -> tuple[str, int, float]:
        """Who, seq and time of the stamp `index` (what `_Cell.stamps` hold)."""
        return self._users[index], self._seqs[index], self._times[index]

    def cell_ids(self) -> list[str]:
        return [_cell_id(ycell) for ycell in self._ycells]

    def lines(self, cell_id: str) -> list[LineBlame]:
        """Every line of the cell's source with who changed it last; LookupError if absent."""
        if cell_id not in self.cell_ids():
            raise LookupError(f"no cell {cell_id!r} in the notebook at seq {self.seq}")
        cell = self._cells[cell_id]
        result: list[LineBlame] = []
        start = 0
        for number, text in enumerate(cell.text.split(b"\n")):
            end = start + len(text)
            # A line is its characters; an empty line is the newline that made it.
            own = (
                cell.stamps[start:end]
                or cell.stamps[start : start + 1]
                or cell.stamps[max(start - 1, 0) : start]
            )
            chosen = max(own, key=self._seqs.__getitem__) if own else 0
            authors: list[str] = []
            for s in sorted(set(own), key=self._seqs.__getitem__):
                user = self._users[s]
                if user in authors:
                    authors.remove(user)
                authors.append(user)
            user_id, seq, ts = self.stamp(chosen)
            line = text.decode("utf-8", errors="replace")
            result.append(LineBlame(number, line, user_id, seq, ts, tuple(authors)))
            start = end + 1
        return result


def _collect(changes: list[_Change], events: list[Any]) -> None:
    # Only plain values are kept: the events' objects are not valid after the callback.
    for event in events:
        # pycrdt's events do not type their path and delta.
        path: list[Any] = list(getattr(event, "path", []))
        if isinstance(event, TextEvent) and len(path) == 2 and path[1] == "source":
            delta = [
                {key: (value if isinstance(value, int | str) else 0)}
                for step in getattr(event, "delta", [])
                for key, value in step.items()
                if key in ("insert", "delete", "retain")
            ]
            changes.append((path, delta))
        elif isinstance(event, ArrayEvent) and not path:
            changes.append(([], None))
        elif len(path) == 1:  # a cell map's own keys changed (e.g. a new source)
            changes.append((path, None))


def _cell_id(ycell: object) -> str:
    """A cell's id; "" for an item of cells that is not a map (a log written before such
    updates were refused holds them: blame passes over them, as pages do)."""
    return str(ycell.get("id", "")) if isinstance(ycell, Map) else ""
