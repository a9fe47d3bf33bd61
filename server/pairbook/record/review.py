"""A review: the net change of a notebook over a span of its log, with blame and runs.

The after side is the document at the span's end, rebuilt from the log; the before side is
either the document at the span's start (a time) or a notebook the caller read elsewhere (a
git commit's file). Moments hidden by a window where recording was off are shown as the
replay shows them: the edge of the window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Map

from pairbook.notebook import ydoc_to_notebook
from pairbook.record.blame import LineBlame
from pairbook.record.netchange import CellChange, net_change
from pairbook.record.replayer import Replayer
from pairbook.record.timeline import joined_user
from pairbook.schema import EXECUTIONS_MAP, SERVER_COLOR, UserRecord, is_server_author


@dataclass(frozen=True, slots=True)
class Side:
    """One end of a reviewed span: a log position and its time (seq 0: not from the log)."""

    seq: int
    ts: float | None

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts}


async def side_at(replayer: Replayer, ts: float | None) -> Side:
    """The moment of the log at a time (None: the newest), never before the first record
    (the notebook as the server first loaded it)."""
    first, last = await replayer.bounds()
    seq = last if ts is None else await replayer.store.seq_at(replayer.room, ts)
    seq = await replayer.visible(max(seq, first, min(1, last)))
    return Side(seq, await _ts_of(replayer, seq))


async def review_of_log(
    replayer: Replayer,
    until: Side,
    *,
    since: Side | None = None,
    before: Mapping[str, Any] | None = None,
    since_ts: float | None = None,
) -> dict[str, Any]:
    """The net change from `since` (a log moment) or `before` (a notebook read elsewhere,
    with its time `since_ts`) to the log's moment `until`."""
    after_doc = await replayer.doc_at(until.seq)
    after = ydoc_to_notebook(after_doc)
    executions = after_doc.get(EXECUTIONS_MAP, type=Map).to_py() or {}
    if since is not None:
        before = ydoc_to_notebook(await replayer.doc_at(since.seq))
        since_ts = since.ts
    blame = await _blame_changed(replayer, until.seq, before, after)
    cells = net_change(before, after, blame, executions, since_ts)
    people = await replayer.people()
    return review_json(cells, people)


def review_json(cells: list[CellChange], people: Mapping[str, UserRecord]) -> dict[str, Any]:
    """The cells, the count of each kind of change, and everyone the cells name."""
    counts = {"added": 0, "deleted": 0, "changed": 0, "unchanged": 0, "moved": 0, "runs": 0}
    named: set[str] = set()
    for cell in cells:
        counts[cell["status"]] += 1
        counts["moved"] += int(cell["moved"])
        counts["runs"] += len(cell["runs"])
        named.update(cell["authors"])
        for row in cell["rows"]:
            if row["right"] is not None:
                named.update(row["right"]["authors"])
    found: dict[str, UserRecord] = {}
    for user_id in sorted(named):
        if user_id and not is_server_author(user_id):
            found[user_id] = people.get(user_id) or joined_user(user_id, {})
    for cell in cells:
        for run in cell["runs"]:
            user = run["user"]
            user_id = str(user.get("id", ""))
            if user_id and user_id not in found:
                found[user_id] = people.get(user_id) or joined_user(user_id, user)
    return {"cells": cells, "counts": counts, "people": found, "server_color": SERVER_COLOR}


async def _blame_changed(
    replayer: Replayer,
    seq: int,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
) -> dict[str, Sequence[LineBlame]]:
    """Line blame at `seq` of every cell whose source is new or differs from before."""
    old = {str(c.get("id")): c.get("source") for c in (before or {}).get("cells", [])}
    blame: dict[str, Sequence[LineBlame]] = {}
    for cell in after.get("cells", []):
        cell_id = str(cell.get("id"))
        if cell_id in old and old[cell_id] == cell.get("source"):
            continue
        try:
            blame[cell_id] = await replayer.blame(seq, cell_id)
        except LookupError:  # an id the reader gave a repeated cell: no blame of its own
            continue
    return blame


async def _ts_of(replayer: Replayer, seq: int) -> float | None:
    found = await replayer.store.records(replayer.room, seq - 1, limit=1) if seq > 0 else []
    return found[0].ts if found and math.isfinite(found[0].ts) else None
