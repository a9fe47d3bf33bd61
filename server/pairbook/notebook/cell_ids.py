"""Cell ids: checked against nbformat's pattern and derived deterministically when missing.

nbformat fills missing or duplicate ids with `uuid4().hex[:8]`; pairbook never does, because
the base history built from a file must be the same on every server start.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TypeGuard

_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
"""nbformat 4.5's `cell_id` definition: 1 to 64 characters of [a-zA-Z0-9-_]."""


def is_valid_cell_id(value: object) -> TypeGuard[str]:
    """Whether `value` is a cell id nbformat 4.5 accepts."""
    return isinstance(value, str) and _CELL_ID.match(value) is not None


def derive_cell_id(seed: str, taken: set[str]) -> str:
    """An 8-hex-digit id (nbformat's own format) derived from `seed`, not in `taken`."""
    attempt = 0
    while True:
        text = seed if attempt == 0 else f"{seed}#{attempt}"
        candidate = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
        if candidate not in taken:
            return candidate
        attempt += 1


def assign_cell_ids(ids: Sequence[object], salt: str) -> list[str]:
    """Unique valid ids for a list of cells, keeping every first valid occurrence.

    A repeated id gets an id derived from (salt, the id, its occurrence number); a missing or
    invalid one from (salt, its position among the missing ones). Both are stable when cells
    are inserted elsewhere, so saving twice yields the same file.
    """
    taken = {value for value in ids if is_valid_cell_id(value)}
    seen: set[str] = set()
    occurrences: dict[str, int] = {}
    missing = 0
    result: list[str] = []
    for value in ids:
        if is_valid_cell_id(value):
            if value not in seen:
                seen.add(value)
                result.append(value)
                continue
            occurrences[value] = occurrences.get(value, 0) + 1
            seed = f"{salt}:duplicate:{value}:{occurrences[value]}"
        else:
            seed = f"{salt}:missing:{missing}"
            missing += 1
        new_id = derive_cell_id(seed, taken)
        taken.add(new_id)
        seen.add(new_id)
        result.append(new_id)
    return result
