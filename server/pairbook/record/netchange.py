"""The net change of a notebook between two moments, cell by cell, for the review page.

Pure: two nbformat notebooks in (before and after), the after side's line blame and run
records beside them, JSON out. Cells are matched by id: a cell only before was deleted, one
only after was added, and a cell whose place among the cells both sides share changed was
moved (the longest order both sides agree on stays put; every other shared cell moved). A
cell's source is diffed line by line into side-by-side rows, each line of the after side
with who wrote it last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any, Literal, NotRequired, TypedDict

from pairbook.record.blame import LineBlame
from pairbook.record.outputview import OutputView, outputs_key, outputs_view

CellStatus = Literal["added", "deleted", "changed", "unchanged"]
RowKind = Literal["equal", "changed", "added", "deleted"]


class LeftLine(TypedDict):
    no: int  # 1-based line number
    text: str


class RightLine(LeftLine):
    user: str  # who changed the line last ("" before the recording's first record)
    authors: list[str]  # everyone whose characters are on it, most recent last
    ts: float


class DiffRow(TypedDict):
    kind: RowKind
    left: LeftLine | None
    right: RightLine | None


class RunView(TypedDict):
    """A run of the cell in the reviewed span, and whether its outputs are the ones shown."""

    id: str
    user: dict[str, Any]
    status: str
    execution_count: int | None
    started_at: float | None
    finished_at: float | None
    produced_outputs: bool


class CellChange(TypedDict):
    id: str
    status: CellStatus
    moved: bool
    cell_type: str
    before_type: str | None
    index_before: int | None
    index_after: int | None
    source_changed: bool
    outputs_changed: bool
    rows: list[DiffRow]
    authors: list[str]  # who wrote the cell's changed lines, most lines first
    outputs_before: list[OutputView]
    outputs_after: list[OutputView]
    runs: list[RunView]
    first_line: NotRequired[str]


def net_change(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    blame: Mapping[str, Sequence[LineBlame]],
    executions: Mapping[str, Any],
    since_ts: float | None,
) -> list[CellChange]:
    """Every cell of either side in reading order: the after side's order, each deleted cell
    placed after the cell that preceded it before."""
    old = _cells_by_id(before)
    new = _cells_by_id(after)
    moved = moved_cells(list(old), list(new))
    runs = runs_by_cell(executions, since_ts)
    followers: dict[str | None, list[CellChange]] = {}  # deleted cells, by the cell before
    anchor: str | None = None
    for index, (cell_id, cell) in enumerate(old.items()):
        if cell_id in new:
            anchor = cell_id
            continue
        change = cell_change(cell_id, cell, None, (), runs.get(cell_id, []))
        change["index_before"] = index
        followers.setdefault(anchor, []).append(change)
    before_index = {cell_id: i for i, cell_id in enumerate(old)}
    changes = followers.get(None, [])
    for index, (cell_id, cell) in enumerate(new.items()):
        previous = old.get(cell_id)
        change = cell_change(cell_id, previous, cell, blame.get(cell_id, ()), runs.get(cell_id, []))
        change["moved"] = cell_id in moved
        change["index_after"] = index
        change["index_before"] = before_index.get(cell_id)
        changes.append(change)
        changes.extend(followers.get(cell_id, []))
    return changes


def moved_cells(before: Sequence[str], after: Sequence[str]) -> set[str]:
    """The ids on both sides whose relative order changed: every shared id outside the
    longest run of agreement that `SequenceMatcher` finds."""
    shared = set(before) & set(after)
    old = [c for c in before if c in shared]
    new = [c for c in after if c in shared]
    kept: set[str] = set()
    for block in SequenceMatcher(None, old, new, autojunk=False).get_matching_blocks():
        kept.update(old[block.a : block.a + block.size])
    return shared - kept


def cell_change(
    cell_id: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    blame: Sequence[LineBlame],
    runs: list[RunView],
) -> CellChange:
    """One cell's change (either side may be missing: added or deleted)."""
    old_source = _source(before)
    new_source = _source(after)
    old_type = None if before is None else str(before.get("cell_type", "code"))
    new_type = old_type if after is None else str(after.get("cell_type", "code"))
    old_outputs = None if before is None else before.get("outputs")
    new_outputs = None if after is None else after.get("outputs")
    source_changed = before is None or after is None or old_source != new_source
    outputs_changed = outputs_key(old_outputs) != outputs_key(new_outputs)
    status: CellStatus = "changed"
    if before is None:
        status = "added"
    elif after is None:
        status = "deleted"
    elif not source_changed and not outputs_changed and old_type == new_type:
        status = "unchanged"
    rows = diff_rows(old_source, new_source, blame) if status != "unchanged" else []
    if after is not None:
        _mark_producer(runs, after.get("execution_count"))
    change: CellChange = {
        "id": cell_id,
        "status": status,
        "moved": False,
        "cell_type": new_type or "code",
        "before_type": old_type,
        "index_before": None,
        "index_after": None,
        "source_changed": source_changed,
        "outputs_changed": outputs_changed,
        "rows": rows,
        "authors": changed_line_authors(rows),
        "outputs_before": outputs_view(old_outputs) if outputs_changed else [],
        "outputs_after": outputs_view(new_outputs) if status != "unchanged" else [],
        "runs": runs,
    }
    if status == "unchanged":
        change["first_line"] = new_source.split("\n", 1)[0][:200]
    return change


def diff_rows(before: str, after: str, blame: Sequence[LineBlame]) -> list[DiffRow]:
    """The two sources side by side: equal lines, changed lines paired up, then the lines
    only one side has. A right line carries its blame (by line number) when there is one."""
    old = before.split("\n") if before else []
    new = after.split("\n") if after else []
    by_line = {line.line: line for line in blame}
    rows: list[DiffRow] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for a, b in zip(range(i1, i2), range(j1, j2), strict=True):
                rows.append(_row("equal", old, a, new, b, by_line))
            continue
        width = max(i2 - i1, j2 - j1)
        for k in range(width):
            i = i1 + k if i1 + k < i2 else None
            j = j1 + k if j1 + k < j2 else None
            kind: RowKind = "changed" if i is not None and j is not None else "added"
            if j is None:
                kind = "deleted"
            rows.append(_row(kind, old, i, new, j, by_line))
    return rows


def changed_line_authors(rows: Sequence[DiffRow]) -> list[str]:
    """Who wrote the changed and added lines, the one with most lines first."""
    counts: dict[str, int] = {}
    for row in rows:
        right = row["right"]
        if row["kind"] in ("changed", "added") and right is not None and right["user"]:
            counts[right["user"]] = counts.get(right["user"], 0) + 1
    return sorted(counts, key=lambda user: (-counts[user], user))


def runs_by_cell(executions: Mapping[str, Any], since_ts: float | None) -> dict[str, list[RunView]]:
    """The runs that started in the reviewed span, per cell id, oldest first."""
    found: dict[str, list[RunView]] = {}
    for run_id, record in executions.items():
        if not isinstance(record, Mapping) or not isinstance(record.get("cell_id"), str):
            continue
        started = _number(record.get("started_at"))
        if started is None or (since_ts is not None and started < since_ts):
            continue  # queued or cancelled runs never ran; older runs are not in the span
        user = record.get("user")
        count = _number(record.get("execution_count"))
        found.setdefault(record["cell_id"], []).append(
            {
                "id": str(record.get("id", run_id)),
                "user": dict(user) if isinstance(user, Mapping) else {"id": "", "name": "?"},
                "status": str(record.get("status", "")),
                "execution_count": None if count is None else int(count),
                "started_at": started,
                "finished_at": _number(record.get("finished_at")),
                "produced_outputs": False,
            }
        )
    for runs in found.values():
        runs.sort(key=lambda run: run["started_at"] or 0.0)
    return found


def _mark_producer(runs: list[RunView], execution_count: Any) -> None:
    """The newest run whose execution count the cell shows produced its outputs."""
    count = _number(execution_count)
    for run in reversed(runs):
        if count is not None and run["execution_count"] == int(count):
            run["produced_outputs"] = True
            return


def _row(
    kind: RowKind,
    old: list[str],
    i: int | None,
    new: list[str],
    j: int | None,
    blame: Mapping[int, LineBlame],
) -> DiffRow:
    left: LeftLine | None = None if i is None else {"no": i + 1, "text": old[i]}
    right: RightLine | None = None
    if j is not None:
        line = blame.get(j)
        right = {
            "no": j + 1,
            "text": new[j],
            "user": line.user_id if line is not None else "",
            "authors": list(line.authors) if line is not None else [],
            "ts": line.ts if line is not None else 0.0,
        }
    return {"kind": kind, "left": left, "right": right}


def _cells_by_id(nb: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    cells = [] if nb is None else nb.get("cells", [])
    found: dict[str, Mapping[str, Any]] = {}
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, Mapping) and isinstance(cell.get("id"), str):
            found.setdefault(cell["id"], cell)
    return found


def _source(cell: Mapping[str, Any] | None) -> str:
    source = None if cell is None else cell.get("source")
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return source if isinstance(source, str) else ""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
