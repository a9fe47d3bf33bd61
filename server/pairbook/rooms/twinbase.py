"""The .py twin as pairbook last wrote it: the base a later merge starts from (TwinSync)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pairbook.notebook.twin import notebook_to_twin, twin_to_cells
from pairbook.notebook.twinmerge import TwinCell, base_of


@dataclass(frozen=True, slots=True)
class Written:
    """The twin as pairbook wrote it and the room's cells it was written from. Reading the
    text back into the merge's base costs more than writing it, so it waits for a merge."""

    cells: list[dict[str, Any]]  # id, cell_type, source
    rendered: str


Base = Written | list[TwinCell]  # as written (read back when merging), or as last read


def render(notebook: dict[str, Any], fmt: str) -> tuple[str, Written]:
    rendered = notebook_to_twin(notebook, fmt)
    keys = ("id", "cell_type", "source")
    cells = [{k: c.get(k, "") for k in keys} for c in notebook.get("cells") or []]
    return rendered, Written(cells, rendered)


def read_both(
    base: Base, data: bytes, fmt: str, name: str
) -> tuple[list[TwinCell], list[dict[str, Any]]]:
    """The merge's base and the twin on disk, as cells."""
    if isinstance(base, Written):
        base = base_of({"cells": base.cells}, twin_to_cells(base.rendered, fmt))
    return base, twin_to_cells(data.decode("utf-8"), fmt, name=name)
