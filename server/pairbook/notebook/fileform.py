"""FileForm: what of a room's notebook goes into its files, and what stays in the room.

The document keeps each cell's run bookkeeping (`metadata.pairbook.last_run`: who ran it,
when, with which source) for every peer to see; the log keeps every run. None of it belongs
in the `.ipynb` a reviewer diffs: running an unchanged cell must change no more of the file
than Jupyter itself would (the outputs and the execution count). So the file form drops the
bookkeeping (or keeps one short, stable line of it), and optionally the outputs and
execution counts too. Reading a file back restores, from the room, what the file form
dropped, so that a reload from disk never erases the room's attribution or outputs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

PAIRBOOK_KEY = "pairbook"
"""The cell metadata key holding pairbook's run bookkeeping (written by the kernel service)."""

SAVE_OUTPUTS = "save_outputs"
"""Notebook metadata `pairbook.save_outputs`: this notebook's own choice of FileForm.outputs."""

Attribution = Literal["none", "short"]
ATTRIBUTIONS: tuple[Attribution, ...] = ("none", "short")


@dataclass(frozen=True, slots=True)
class FileForm:
    """How a notebook is written to its file.

    `attribution`: "none" writes no run bookkeeping; "short" writes `{"run_by": <name>}`,
    which changes only when someone else runs the cell. `outputs`: False writes every code
    cell without outputs and execution count. A notebook's own
    `metadata.pairbook.save_outputs` (true or false) overrides `outputs` for it.
    """

    attribution: Attribution = "none"
    outputs: bool = True

    def to_file(self, nb: dict[str, Any]) -> dict[str, Any]:
        """A copy of `nb` as its file holds it (`nb` is left as it is)."""
        outputs = self.outputs_of(nb)
        cells = [self._cell_to_file(cell, outputs) for cell in nb.get("cells") or []]
        return {**nb, "cells": cells} if "cells" in nb else nb

    def outputs_of(self, nb: dict[str, Any]) -> bool:
        """Whether `nb`'s file holds outputs: its own setting, else this form's."""
        metadata = nb.get("metadata")
        own = metadata.get(PAIRBOOK_KEY) if isinstance(metadata, dict) else None
        setting = own.get(SAVE_OUTPUTS) if isinstance(own, dict) else None
        return setting if isinstance(setting, bool) else self.outputs

    def restore(self, disk: dict[str, Any], room: dict[str, Any]) -> dict[str, Any]:
        """`disk` (a notebook read from the file) with what `to_file` leaves out put back
        from `room`, cell by cell (matched by id), so that loading it keeps them."""
        by_id = {cell.get("id"): cell for cell in room.get("cells") or []}
        outputs = self.outputs_of(disk)
        cells = []
        for cell in disk.get("cells") or []:
            kept = by_id.get(cell.get("id"))
            cells.append(cell if kept is None else self._restore_cell(cell, kept, outputs))
        return {**disk, "cells": cells} if "cells" in disk else disk

    def _cell_to_file(self, cell: dict[str, Any], outputs: bool) -> dict[str, Any]:
        metadata = cell.get("metadata")
        written = cell
        if isinstance(metadata, dict) and PAIRBOOK_KEY in metadata:
            metadata = {k: v for k, v in metadata.items() if k != PAIRBOOK_KEY}
            short = _short_attribution(cell["metadata"][PAIRBOOK_KEY])
            if self.attribution == "short" and short is not None:
                metadata[PAIRBOOK_KEY] = short
            written = {**cell, "metadata": metadata}
        if not outputs and cell.get("cell_type") == "code":
            written = {**written, "outputs": [], "execution_count": None}
        return written

    def _restore_cell(
        self, cell: dict[str, Any], kept: dict[str, Any], outputs: bool
    ) -> dict[str, Any]:
        restored = cell
        kept_meta = kept.get("metadata")
        if isinstance(kept_meta, dict) and PAIRBOOK_KEY in kept_meta:
            on_disk = (cell.get("metadata") or {}).get(PAIRBOOK_KEY)
            if on_disk is None or on_disk == _short_attribution(kept_meta[PAIRBOOK_KEY]):
                metadata = dict(cell.get("metadata") or {})
                metadata[PAIRBOOK_KEY] = copy.deepcopy(kept_meta[PAIRBOOK_KEY])
                restored = {**restored, "metadata": metadata}
        if (
            not outputs
            and cell.get("cell_type") == "code"
            and kept.get("cell_type") == "code"
            and not cell.get("outputs")
            and cell.get("execution_count") is None
        ):
            restored = {
                **restored,
                "outputs": copy.deepcopy(kept.get("outputs") or []),
                "execution_count": kept.get("execution_count"),
            }
        return restored


def _short_attribution(bookkeeping: Any) -> dict[str, str] | None:
    """`{"run_by": <name>}` of the last run, or None when the bookkeeping names nobody."""
    if not isinstance(bookkeeping, dict):
        return None
    last_run = bookkeeping.get("last_run")
    user = last_run.get("user") if isinstance(last_run, dict) else None
    name = user.get("name") if isinstance(user, dict) else None
    return {"run_by": name} if isinstance(name, str) and name else None


def without_outputs(nb: dict[str, Any]) -> dict[str, Any]:
    """A copy of `nb` in the file form, with no outputs and no execution counts at all
    (whatever the notebook's own setting): what `pairbook commit --strip-outputs-on-commit`
    and `pairbook export --to ipynb-clean` write."""
    stripped = FileForm(outputs=False)
    cells = [stripped._cell_to_file(cell, False) for cell in nb.get("cells") or []]
    return {**nb, "cells": cells} if "cells" in nb else nb
