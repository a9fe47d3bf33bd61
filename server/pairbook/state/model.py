"""KernelState: what the kernel holds, where each name came from, and what is inconsistent.

Pure bookkeeping, fed with two things: the runs (cell, person, source as run) and the
namespace probe's answers (which names changed after each run). From them it keeps, for
every name, the run that created it and the runs that changed it, and computes the warnings
everyone in the room sees:

- `unrun-edit`: the cell's source differs from the source that produced its output;
- `stale`: the cell read a name that a later run (of another cell) changed;
- `out-of-order`: a name the cell read came from a cell below it, or from a cell that has
  been edited or deleted since;
- hidden state: a name lives in the kernel but no current cell defines it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pairbook.schema import UserRecord
from pairbook.state.dataflow import cell_flow

PROBE_FIELDS = ("type", "summary", "len", "shape", "dtype", "dtypes", "nbytes", "note",
                "fingerprint")  # fmt: skip


def source_hash(source: str) -> str:
    """A short, stable fingerprint of a cell's source as run."""
    return hashlib.sha256(source.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Run:
    """One finished execution, as the state model needs it."""

    id: str
    cell_id: str
    execution_count: int | None
    user: UserRecord
    at: float
    source: str
    source_hash: str
    author: UserRecord | None = None
    """Who last edited the cell's source before it ran (None: not known); `user` ran it."""

    def to_json(self) -> dict[str, Any]:
        record = {"execution": self.id, "cell": self.cell_id, "count": self.execution_count,
                  "user": self.user, "at": self.at}  # fmt: skip
        if self.author is not None:
            record["author"] = self.author
        return record


@dataclass(frozen=True, slots=True)
class Cell:
    """A cell of the current notebook, in order."""

    id: str
    source: str | None  # None for a markdown or raw cell
    source_hash: str | None


Change = tuple[int, Run | None]  # (step, run); run None: outside any run we know of


@dataclass(slots=True)
class _Name:
    info: dict[str, Any]
    created: Change
    # Later runs that changed the value or bound the name again, oldest first, each with
    # whether the value changed (`x = 3` run again binds x without changing it) and whether
    # the run binds it (`lst.append(1)` in another cell changes lst without defining it).
    changes: list[tuple[int, Run | None, bool, bool]] = field(default_factory=list)

    @property
    def changed(self) -> Change:
        """The last run that changed the value."""
        return self._last(binding=False)

    @property
    def defined(self) -> Change:
        """The last run that bound the name, whether or not its value changed."""
        return self._last(binding=True)

    def _last(self, *, binding: bool) -> Change:
        for step, run, value_changed, binds in reversed(self.changes):
            if binds if binding else value_changed:
                return step, run
        return self.created

    def producer_before(self, step: int) -> Change | None:
        """The definition in force when the run at `step` read this name."""
        found: Change | None = self.created if self.created[0] < step else None
        for change in self.changes:
            if change[0] < step:
                found = change[:2]
        return found


class KernelState:
    """The shared kernel-state view of one room. Not thread-safe; one per kernel."""

    MAX_CHANGES = 32  # per name: enough history for out-of-order checks

    def __init__(self) -> None:
        self.generation = -1  # the probe generation the view reflects; -1: none yet
        self.names: dict[str, _Name] = {}
        self.last_runs: dict[str, tuple[int, Run]] = {}  # cell id -> (step, run)
        self.step = 0
        self.modules = 0
        self.skipped = 0  # names the probe counted but did not describe (too many)
        self.version = 0  # bumped whenever a name comes, goes or is defined again
        self._hidden_cache: tuple[Any, list[dict[str, Any]]] | None = None
        # The names each run defined (`_Name.defined`), by the run's id: the hidden-state
        # verdict is one per run, so a trivial run among 10,000 names looks at its own.
        self._defined_by: dict[int, tuple[Run | None, set[str]]] = {}
        self._definer: dict[str, int] = {}  # name -> its key in _defined_by

    def reset(self) -> None:
        """The kernel restarted or stopped: its namespace is gone."""
        self.__init__()  # type: ignore[misc]

    # -- feeding -------------------------------------------------------------------------

    def record_run(self, run: Run) -> int:
        """A run finished; returns its step. Call `apply_probe` with its probe answer."""
        self.step += 1
        self.last_runs[run.cell_id] = (self.step, run)
        return self.step

    def apply_probe(
        self, answer: dict[str, Any], run: Run | None, bound: Iterable[str] = ()
    ) -> tuple[set[str], set[str]]:
        """Fold a probe answer in, attributing its changes to `run` (None: a refresh between
        runs, so the changes' origin is unknown). `bound`: names the run's source binds, which
        it defined again even where the value stayed the same. Returns (names whose record
        changed, names removed)."""
        bound = set(bound)
        step = self.last_runs[run.cell_id][0] if run is not None else self._next_step()
        changed_infos: dict[str, Any] = answer.get("changed") or {}
        removed = {str(n) for n in answer.get("removed") or []}
        if answer.get("full"):
            removed |= {n for n in self.names if n not in changed_infos}
            # A full answer re-sends unchanged names too: keep their provenance.
            unchanged = {
                name
                for name, info in changed_infos.items()
                if name in self.names
                and self.names[name].info.get("fingerprint") == info.get("fingerprint")
            }
        else:
            unchanged = set()
        for name in removed:
            if self.names.pop(name, None) is not None:
                self._index(name, None)
        changed: set[str] = set()
        for name, info in changed_infos.items():
            if name in unchanged:
                continue
            clean = {k: info[k] for k in PROBE_FIELDS if k in info}
            known = self.names.get(name)
            if known is None:
                known = self.names[name] = _Name(clean, (step, run))
            else:
                known.info = clean
                binds = run is None or name in bound
                known.changes.append((step, run, True, binds))
                del known.changes[: -self.MAX_CHANGES]
            self._index(name, known)
            changed.add(name)
        if run is not None:
            for name in bound:
                known = self.names.get(name)
                if known is not None and name not in changed and known.defined[1] is not run:
                    known.changes.append((step, run, False, True))
                    del known.changes[: -self.MAX_CHANGES]
                    self._index(name, known)
                    changed.add(name)
        self.generation = int(answer.get("generation", self.generation))
        self.modules = int(answer.get("modules", self.modules))
        self.skipped = int(answer.get("skipped", 0))
        if changed or removed:
            self.version += 1
        return changed, removed

    def _index(self, name: str, entry: _Name | None) -> None:
        """File `name` under the run that now defines it (None: the name is gone)."""
        old = self._definer.pop(name, None)
        if old is not None:
            names = self._defined_by[old][1]
            names.discard(name)
            if not names:  # the run is not kept alive by an empty entry
                del self._defined_by[old]
        if entry is None:
            return
        run = entry.defined[1]
        key = self._definer[name] = id(run)
        self._defined_by.setdefault(key, (run, set()))[1].add(name)

    def _next_step(self) -> int:
        self.step += 1
        return self.step

    # -- views ---------------------------------------------------------------------------

    def variable(self, name: str) -> dict[str, Any]:
        """The shared record of one name: the probe's summary plus its provenance."""
        entry = self.names[name]
        return {**entry.info, "created": _provenance(entry.created),
                "defined": _provenance(entry.defined),
                "changed": _provenance(entry.changed)}  # fmt: skip

    def variables(self) -> dict[str, dict[str, Any]]:
        return {name: self.variable(name) for name in self.names}

    def analyse(
        self,
        cells: list[Cell],
        editors: dict[str, UserRecord] | None = None,
        deleters: dict[str, UserRecord] | None = None,
    ) -> dict[str, Any]:
        """Dataflow and warnings for the current cells. `editors`: cell id -> the person who
        last edited its source; `deleters`: deleted cell id -> who deleted it."""
        editors = editors or {}
        deleters = deleters or {}
        order = {cell.id: index for index, cell in enumerate(cells)}
        current = {cell.id: cell for cell in cells}
        flows: dict[str, Any] = {}
        warnings: dict[str, list[dict[str, Any]]] = {}
        defined: set[str] = set()
        star_cells: set[str] = set()
        for cell in cells:
            if cell.source is None:
                continue
            flow = cell_flow(cell.source)
            flows[cell.id] = flow.to_json()
            defined |= flow.writes - flow.deletes
            if flow.star_import:
                star_cells.add(cell.id)
        for cell in cells:
            found = self._cell_warnings(cell, order, current, editors, deleters)
            if found:
                warnings[cell.id] = found
        hidden = self._hidden_names(cells, defined, star_cells, editors, deleters)
        return {"cells": flows, "warnings": warnings, "hidden": hidden}

    def _hidden_names(
        self,
        cells: list[Cell],
        defined: set[str],
        star_cells: set[str],
        editors: dict[str, UserRecord],
        deleters: dict[str, UserRecord],
    ) -> list[dict[str, Any]]:
        """The names no current cell defines that are still in the kernel for a reason
        worth a warning. Kept until the names or the cells change: a refresh or a run that
        changed nothing does not walk 10,000 names again."""
        key = (self.version, [(cell.id, cell.source_hash) for cell in cells],
               sorted(defined), sorted(star_cells), repr(sorted(editors.items())),
               repr(sorted(deleters.items())))  # fmt: skip
        if self._hidden_cache is not None and self._hidden_cache[0] == key:
            return [dict(entry) for entry in self._hidden_cache[1]]
        current = {cell.id: cell for cell in cells}
        # Names defined by the same run share its verdict: worked out once per run, and
        # the names of a run whose cell still stands as it ran are not looked at.
        hidden: list[dict[str, Any]] = []
        for run, names in self._defined_by.values():
            verdict = self._hidden(run, current, star_cells, editors, deleters)
            if verdict is not None:
                hidden.extend({"name": name, **verdict} for name in names if name not in defined)
        hidden.sort(key=lambda entry: str(entry["name"]))
        self._hidden_cache = (key, [dict(entry) for entry in hidden])
        return hidden

    def _cell_warnings(
        self,
        cell: Cell,
        order: dict[str, int],
        current: dict[str, Cell],
        editors: dict[str, UserRecord],
        deleters: dict[str, UserRecord],
    ) -> list[dict[str, Any]]:
        last = self.last_runs.get(cell.id)
        if last is None or cell.source is None:
            return []
        step, run = last
        found: list[dict[str, Any]] = []
        if cell.source_hash is not None and cell.source_hash != run.source_hash:
            found.append({"kind": "unrun-edit", "by": editors.get(cell.id), "ran_by": run.user})
        for name in sorted(cell_flow(run.source).reads):
            entry = self.names.get(name)
            if entry is None:
                continue
            changed_step, changer = entry.changed
            if changed_step > step and (changer is None or changer.cell_id != cell.id):
                found.append({"kind": "stale", "name": name, **_who(changer)})
            producer = entry.producer_before(step)
            if producer is None or producer[1] is None or producer[1].cell_id == cell.id:
                continue
            source_run = producer[1]
            source_cell = current.get(source_run.cell_id)
            reason = None
            if source_cell is None:
                reason, by = "deleted", deleters.get(source_run.cell_id)
            elif order[source_cell.id] > order[cell.id]:
                reason, by = "below", source_run.user
            elif (
                source_cell.source_hash != source_run.source_hash
                and self.last_runs.get(source_cell.id, (0, None))[1] is source_run
            ):  # edited and not run since (a re-run that changed the name makes it stale)
                reason, by = "edited", editors.get(source_cell.id)
            if reason is not None:
                found.append({"kind": "out-of-order", "name": name, "cell": source_run.cell_id,
                              "reason": reason, "by": by})  # fmt: skip
        return found

    @staticmethod
    def _hidden(
        run: Run | None,
        current: dict[str, Cell],
        star_cells: set[str],
        editors: dict[str, UserRecord],
        deleters: dict[str, UserRecord],
    ) -> dict[str, Any] | None:
        """Why a name that `run` defined and no current cell defines is still in the
        kernel (cell, reason, by); None if it is fine."""
        if run is None:
            return {"cell": None, "reason": "unknown", "by": None}
        cell = current.get(run.cell_id)
        if cell is None:
            return {"cell": run.cell_id, "reason": "deleted", "by": deleters.get(run.cell_id)}
        if cell.source_hash == run.source_hash or cell.id in star_cells:
            return None  # the cell as it stands made it (exec, a star import, a loop variable)
        return {"cell": run.cell_id, "reason": "edited", "by": editors.get(cell.id)}


def _provenance(change: tuple[int, Run | None]) -> dict[str, Any] | None:
    _step, run = change
    return None if run is None else run.to_json()


def _who(run: Run | None) -> dict[str, Any]:
    if run is None:
        return {"cell": None, "by": None}
    return {"cell": run.cell_id, "by": run.user}
