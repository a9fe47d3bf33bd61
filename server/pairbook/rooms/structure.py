"""CellStructure: which Yjs IDs of a room's document hold its notebook's structure.

An update that leaves a cell no notebook client can read (a number among the cells, a source
that is a plain string, a code cell without outputs) must be refused before the document
takes it: pycrdt cannot un-apply, and a room that took it would have to reload, closing every
peer. Trying every update on a copy of the document would cost a copy per keystroke, so the
room keeps this index of the items that make up the structure (the items of `cells`, the
entries of each cell map, the entries of `meta`) and tries on a copy only an update that
writes next to or into one of them, deletes one, or inserts a shared type. A keystroke
(characters inserted next to characters, or into a cell's source) looks up its origins here
and goes on.

Whose parent an item has: the root or type its parent info names when it has no origins;
otherwise its origin's (or right origin's) parent. So a struct lands among the cells when its
parent is the `cells` root or its origin is a cell; it is a cell's entry when its parent is a
cell or its origin is a cell's entry.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from pairbook.protocol.update import ID, Struct, StructKind, UpdateSummary, decode_update
from pairbook.schema import CELLS, META

_CONTENT_TYPE = 7  # a shared type inserted as an item
_EVERY = 2**53


class Part(IntEnum):
    """Where in the notebook's structure an item is (NONE: not part of it)."""

    NONE = 0
    CELL = 1
    """An item of `cells`."""
    CELL_ENTRY = 2
    """An entry of a cell map (its source, metadata, outputs, id, ...)."""
    META_ENTRY = 3
    """An entry of `meta`."""


_ROOTS = {CELLS: Part.CELL, META: Part.META_ENTRY}


Span = tuple[int, int, int, Part]
"""An item's client, first clock, end clock (exclusive) and part."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What an update does to the structure (`CellStructure.read`)."""

    touches: bool
    """Whether it must be tried on a copy first: it writes next to or into the
    structure's items, deletes one, or inserts a shared type."""

    spans: tuple[Span, ...]
    """Its own structural items, to `take` once the document has them."""


_UNTOUCHED = Reading(False, ())
_TOUCHES = Reading(True, ())


def _child_part(parent: Part) -> Part:
    """The part of an item whose parent is the type held by an item of part `parent`."""
    return Part.CELL_ENTRY if parent is Part.CELL else Part.NONE


class CellStructure:
    """The structural items of one document, kept in step with it (`take` every update it
    applies; `defer` the updates of other writers, indexed only once an update refers to
    their clients)."""

    def __init__(self) -> None:
        self._spans: dict[int, list[tuple[int, int, Part]]] = {}
        self._deferred: list[bytes] = []
        self._deferred_clients: set[int] = set()

    @classmethod
    def of_update(cls, update: bytes) -> CellStructure:
        """The structure of a document encoded whole (`Doc.get_update()`)."""
        structure = cls()
        structure.take(structure.read(decode_update(update)))
        return structure

    def part(self, ref: ID) -> Part:
        client, clock = ref
        if client in self._deferred_clients:
            self._index_deferred()
        spans = self._spans.get(client)
        if not spans:
            return Part.NONE
        index = bisect_right(spans, (clock, _EVERY, Part.META_ENTRY)) - 1
        if index >= 0 and spans[index][0] <= clock < spans[index][1]:
            return spans[index][2]
        return Part.NONE

    def read(self, summary: UpdateSummary) -> Reading:
        """What an update does to the structure, before the document takes it.

        An item is structural only through a seed: a parent root among the structure's, or
        a reference to a structural item the document has. A keystroke has none, so it is
        read in one pass of look-ups (bench/structure.py: a few µs), never classified."""
        seeded = typed = False
        part = self.part
        item = StructKind.ITEM
        for struct in summary.structs:
            if struct.kind is not item:
                continue
            if struct.content_ref == _CONTENT_TYPE:
                typed = True
            if (
                struct.parent_root in _ROOTS
                or (struct.origin is not None and part(struct.origin))
                or (struct.right_origin is not None and part(struct.right_origin))
                or (struct.parent_id is not None and part(struct.parent_id) is Part.CELL)
            ):
                seeded = True
                break
        if seeded:
            return Reading(True, self._classify(summary))
        if typed or self._deletes_part(summary.delete_set):
            return _TOUCHES
        return _UNTOUCHED

    def take(self, reading: Reading) -> None:
        """Index the structural items of an update the document took."""
        for client, start, end, part in reading.spans:
            self._add(client, start, end, part)

    def defer(self, update: bytes, clients: Iterable[int]) -> None:
        """An update the document took from elsewhere (a server edit, another process),
        written by `clients`: indexed once an update refers to one of them."""
        self._deferred.append(update)
        self._deferred_clients.update(clients)
        if len(self._deferred) > 256:  # a bound on what waits; rarely reached
            self._index_deferred()

    def _index_deferred(self) -> None:
        deferred, self._deferred = self._deferred, []
        self._deferred_clients.clear()
        for update in deferred:
            self.take(self.read(decode_update(update)))

    def _deletes_part(self, delete_set: dict[int, tuple[tuple[int, int], ...]]) -> bool:
        for client, ranges in delete_set.items():
            if client in self._deferred_clients:
                self._index_deferred()
            spans = self._spans.get(client)
            if not spans:
                continue
            for clock, length in ranges:
                index = max(bisect_right(spans, (clock, _EVERY, Part.META_ENTRY)) - 1, 0)
                for start, end, _part in spans[index:]:
                    if start >= clock + length:
                        break
                    if end > clock:
                        return True
        return False

    def _add(self, client: int, start: int, end: int, part: Part) -> None:
        spans = self._spans.setdefault(client, [])
        entry = (start, end, part)
        if not spans or spans[-1] < entry:
            spans.append(entry)
        elif entry not in spans:
            spans.insert(bisect_right(spans, entry), entry)

    def _classify(self, summary: UpdateSummary) -> tuple[Span, ...]:
        """Each item of the update with its part: from its parent root, or from the part of
        what it refers to (here or in the update itself, in whatever order they come)."""
        items = [s for s in summary.structs if s.kind is StructKind.ITEM]
        parts = [Part.NONE] * len(items)
        local = _LocalIndex(items)
        followers: dict[int, list[tuple[int, Callable[[Part], Part]]]] = {}
        ready: list[int] = []
        for j, item in enumerate(items):
            part = _ROOTS.get(item.parent_root or "", Part.NONE)
            refs = (
                (item.origin, _same),
                (item.right_origin, _same),
                (item.parent_id, _child_part),
            )
            for ref, derive in refs:
                if ref is None or part is not Part.NONE:
                    continue
                i = local.find(ref)
                if i is not None:
                    followers.setdefault(i, []).append((j, derive))
                else:
                    part = derive(self.part(ref))
            if part is not Part.NONE:
                parts[j] = part
                ready.append(j)
        while ready:
            i = ready.pop()
            for j, follow in followers.get(i, ()):
                if parts[j] is Part.NONE:
                    part = follow(parts[i])
                    if part is not Part.NONE:
                        parts[j] = part
                        ready.append(j)
        return tuple(
            (s.client, s.clock, s.clock + s.length, p)
            for s, p in zip(items, parts, strict=True)
            if p is not Part.NONE
        )


def _same(part: Part) -> Part:
    return part


class _LocalIndex:
    """Which of an update's own items holds an ID."""

    def __init__(self, items: list[Struct]) -> None:
        self._by_client: dict[int, tuple[list[int], list[int], list[int]]] = {}
        for j, item in enumerate(items):
            client, clock, length = item.client, item.clock, item.length
            starts, ends, indices = self._by_client.setdefault(client, ([], [], []))
            starts.append(clock)
            ends.append(clock + length)
            indices.append(j)

    def find(self, ref: ID) -> int | None:
        found = self._by_client.get(ref[0])
        if found is None:
            return None
        starts, ends, indices = found
        k = bisect_right(starts, ref[1]) - 1
        if k >= 0 and ref[1] < ends[k]:
            return indices[k]
        return None
