"""Merging an edit of a notebook's `.py` twin into the room's notebook, cell by cell.

Three sides: the twin as pairbook last wrote or read it (the base, each cell with its id),
the twin on disk now, and the room's notebook now. What changed between the base and the
disk (a cell's source, cells added or deleted) is applied to the room; what the room changed
meanwhile is kept. A cell changed differently on both sides, or deleted on one side and
changed on the other, is a conflict: nothing is merged, so that nothing is lost.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from pairbook.notebook.cell_ids import derive_cell_id


@dataclass(frozen=True, slots=True)
class TwinCell:
    """A cell as the twin shows it, with the room cell's id it stands for."""

    id: str
    cell_type: str
    source: str


@dataclass(slots=True)
class TwinMerge:
    """The room's notebook with the twin's changes (None when they conflict)."""

    notebook: dict[str, Any] | None
    conflicts: list[str] = field(default_factory=list)
    changed: int = 0  # cells changed, added or deleted
    # The twin's cells as read, each with the id of the room's cell it became: the base of
    # the next merge until the merged twin is written.
    read: list[TwinCell] = field(default_factory=list)


def base_of(nb: dict[str, Any], read_back: list[dict[str, Any]]) -> list[TwinCell]:
    """The base for a later merge: the twin's cells as jupytext reads back what was written
    (`read_back`), with the ids of `nb`'s cells. When jupytext reads back a different
    number or kind of cells, `nb`'s own cells are the base."""
    cells = nb.get("cells") or []
    if len(read_back) == len(cells) and all(
        r["cell_type"] == c.get("cell_type") for r, c in zip(read_back, cells, strict=True)
    ):
        return [
            TwinCell(str(c["id"]), str(r["cell_type"]), str(r["source"]))
            for r, c in zip(read_back, cells, strict=True)
        ]
    return [TwinCell(str(c["id"]), str(c["cell_type"]), str(c.get("source", ""))) for c in cells]


def merge_twin(base: list[TwinCell], disk: list[dict[str, Any]], room: dict[str, Any]) -> TwinMerge:
    """Apply the changes from `base` to `disk` (cells read from the twin) onto `room`."""
    merged = _Merge(copy.deepcopy(room))
    keys = [(d["cell_type"], d["source"]) for d in disk]
    matcher = SequenceMatcher(None, [(b.cell_type, b.source) for b in base], keys, autojunk=False)
    read: list[TwinCell] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            read.extend(base[i1:i2])
            continue
        anchor = base[i1 - 1].id if i1 else None
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(pairs):
            before, after = base[i1 + offset], disk[j1 + offset]
            if before.cell_type == after["cell_type"]:
                merged.set_source(before, after["source"])
                anchor = before.id
            else:
                merged.delete(before)
                anchor = merged.insert(anchor, after)
            read.append(TwinCell(anchor, after["cell_type"], after["source"]))
        for before in base[i1 + pairs : i2]:
            merged.delete(before)
        for after in disk[j1 + pairs : j2]:
            anchor = merged.insert(anchor, after)
            read.append(TwinCell(anchor, after["cell_type"], after["source"]))
    if merged.conflicts:
        return TwinMerge(None, merged.conflicts)
    return TwinMerge(merged.nb, [], merged.changed, read)


class _Merge:
    def __init__(self, nb: dict[str, Any]) -> None:
        self.nb = nb
        self.cells: list[dict[str, Any]] = nb.setdefault("cells", [])
        self.conflicts: list[str] = []
        self.changed = 0

    def find(self, cell_id: str | None) -> int | None:
        for index, cell in enumerate(self.cells):
            if cell.get("id") == cell_id:
                return index
        return None

    def set_source(self, before: TwinCell, source: str) -> None:
        index = self.find(before.id)
        if index is None:
            self.conflicts.append(
                f"cell {before.id} was changed in the .py but deleted in the room"
            )
            return
        current = self.cells[index].get("source", "")
        if current == source:
            return
        if current != before.source:
            self.conflicts.append(f"cell {before.id} was changed both in the .py and in the room")
            return
        self.cells[index]["source"] = source
        self.changed += 1

    def delete(self, before: TwinCell) -> None:
        index = self.find(before.id)
        if index is None:
            return
        if self.cells[index].get("source", "") != before.source:
            self.conflicts.append(
                f"cell {before.id} was deleted in the .py but changed in the room"
            )
            return
        del self.cells[index]
        self.changed += 1

    def insert(self, anchor: str | None, after: dict[str, Any]) -> str:
        """Insert a cell of the twin after the cell `anchor` (None: first); returns its id."""
        taken = {str(cell.get("id")) for cell in self.cells}
        seed = f"pairbook:twin:{anchor}:{after['cell_type']}:{after['source']}"
        cell: dict[str, Any] = {
            "cell_type": after["cell_type"],
            "id": derive_cell_id(seed, taken),
            "metadata": copy.deepcopy(after.get("metadata") or {}),
            "source": after["source"],
        }
        if after["cell_type"] == "code":
            cell.update(outputs=[], execution_count=None)
        found = self.find(anchor) if anchor is not None else None
        position = 0 if anchor is None else (len(self.cells) if found is None else found + 1)
        self.cells.insert(position, cell)
        self.changed += 1
        return str(cell["id"])
