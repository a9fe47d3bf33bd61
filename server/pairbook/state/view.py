"""StateView: the room's shared view of its kernel's state, kept in the `kernel` map.

It watches who edits and deletes cells, folds the namespace probe's answers into the
KernelState model after every run, and writes three keys of the `kernel` map:
`variables` (a map: name -> type, summary, sizes, fingerprint, created/changed provenance),
`analysis` (per-cell dataflow, warnings, hidden state) and `packages`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from pycrdt import Array, Doc, Map

from pairbook.auth import User, color_for
from pairbook.flag import Flag
from pairbook.schema import CELLS, KERNEL_MAP, SERVER_COLOR, UserRecord
from pairbook.service.cells import CellsChange, CellsObserver
from pairbook.state.dataflow import cell_flow
from pairbook.state.model import Cell, KernelState, Run, source_hash
from pairbook.types import DISK_USER, SERVER_MAPS, SERVER_USER, UserId

log = logging.getLogger("pairbook.kernelstate")

AUTHORS = "authors"  # in KERNEL_MAP: cell id -> who last edited it, and the source they left
ANALYSE_DELAY = 0.3  # after the last edit, before warnings are recomputed
MAX_DELETED = 1000  # deleted cells whose deleter is remembered
Write = Callable[[Any], None]


class ViewPeer(Protocol):
    """What the view needs of a peer: who it is."""

    @property
    def user(self) -> User: ...


class ViewRoom(Protocol):
    """What the view needs of a room: its document, who is editing, and server edits."""

    @property
    def id(self) -> str: ...

    @property
    def doc(self) -> Doc[Any]: ...

    @property
    def author(self) -> UserId | None: ...

    def members(self) -> Sequence[ViewPeer]: ...

    def observe_cells(self, observer: CellsObserver) -> Callable[[], None]:
        """See every change to the cells (inside its transaction); returns the stop."""
        ...

    def apply_server_edit(
        self, edit: Callable[[Doc[Any]], None], author: UserId, *, protected: bool = False
    ) -> Awaitable[int | None]: ...


class StateView:
    """One room's kernel-state view. Feed it runs and probe answers (from the Runner);
    it keeps the analysis current as people edit."""

    def __init__(
        self,
        room: ViewRoom,
        clock: Callable[[], float] = time.time,
        *,
        delay: float = ANALYSE_DELAY,
    ) -> None:
        self.room = room
        self._delay = delay
        self.model = KernelState()
        # cell id -> who last edited its source (as an earlier view saved it, if any)
        self.editors: dict[str, UserRecord] = {}
        self.deleters: dict[str, UserRecord] = {}  # deleted cell id -> who deleted it
        self.packages: list[dict[str, Any]] | None = None
        self._clock = clock
        self._cells: Array[Any] = room.doc.get(CELLS, type=Array)
        self._ids = self._cell_ids()
        self.editors.update(self._saved_authors())
        self._edited = Flag()
        self._written: dict[str, Any] | None = None
        self._stop_observing = room.observe_cells(self._on_cells)

    def close(self) -> None:
        self._stop_observing()

    # -- who changed which cell ----------------------------------------------------------

    def _cell_ids(self) -> list[str]:
        # Not doc.get(): inside an observer the transaction is read-only.
        return [str(ycell.get("id")) for ycell in self._cells if isinstance(ycell, Map)]

    def _on_cells(self, change: CellsChange) -> None:
        """Runs inside every transaction that touches the cells: cheap bookkeeping only,
        and it must never raise (an observer's error would fail the update)."""
        try:
            relevant = self._note_changes(change)
        except Exception:
            log.exception("kernel-state bookkeeping failed", extra={"room": self.room.id})
            relevant = True
        if relevant:
            self._edited.set()

    def _note_changes(self, change: CellsChange) -> bool:
        """Note who edited or deleted which cell; whether the analysis may have changed (a
        run's outputs, counts and metadata do not change it: only order, sources, types)."""
        person: UserRecord | None = None
        if change.structure:  # cells inserted, moved or deleted
            ids = self._cell_ids()
            gone = set(self._ids) - set(ids)
            if gone:
                person = self._person(self.room.author)
                for cell_id in gone:
                    self.editors.pop(cell_id, None)
                    self.deleters[cell_id] = person
                while len(self.deleters) > MAX_DELETED:
                    del self.deleters[next(iter(self.deleters))]
            self._ids = ids
        for cell_id in change.sources:
            known = self.editors.get(cell_id)
            # Typing is one update per key by the same person in the same cell: the
            # person is looked up among the room's members only when the editor changes.
            if known is None or known["id"] != _person_id(self.room.author):
                person = person or self._person(self.room.author)
                self.editors[cell_id] = person
        return change.structure or change.kinds or bool(change.sources)

    def _sources(self) -> dict[str, str]:
        """The current code cells' source hashes, by cell id."""
        return {
            str(ycell.get("id")): source_hash(str(ycell.get("source", "")))
            for ycell in self._cells
            if isinstance(ycell, Map)
        }

    def _saved_authors(self) -> dict[str, UserRecord]:
        """Who last edited each cell, as the view saved it with its last write (the room
        was unloaded since): for the cells that still hold the source they left."""
        saved = self.room.doc.get(KERNEL_MAP, type=Map).get(AUTHORS)
        if not isinstance(saved, dict):
            return {}
        hashes = self._sources()
        return {
            str(cell): entry["by"]
            for cell, entry in saved.items()
            if isinstance(entry, dict)
            and isinstance(entry.get("by"), dict)
            and hashes.get(str(cell)) == entry.get("hash")
        }

    def _authors(self) -> dict[str, Any]:
        """What `_saved_authors` reads back: each known editor with the source's hash."""
        hashes = self._sources()
        return {
            cell: {"by": person, "hash": hashes[cell]}
            for cell, person in self.editors.items()
            if cell in hashes
        }

    def _person(self, user_id: str | None) -> UserRecord:
        if user_id is None or user_id in (SERVER_USER, SERVER_MAPS):  # as `_person_id`
            return {"id": SERVER_USER, "name": "pairbook", "color": SERVER_COLOR}
        if user_id == DISK_USER:
            return {"id": DISK_USER, "name": "the file on disk", "color": SERVER_COLOR}
        for member in self.room.members():
            if member.user.id == user_id:
                return member.user.to_record()
        return {"id": user_id, "name": user_id, "color": color_for(user_id)}

    # -- feeding from the runner ---------------------------------------------------------

    def after_run(self, run: Run, answer: dict[str, Any] | None) -> Write:
        """A run finished with this probe answer (None: no probe); returns the edit that
        writes the new view, for the runner to fold into its own edit of the kernel map.
        The run is credited to whoever ran it and to the cell's last editor, its author."""
        if run.author is None:
            run = dataclasses.replace(run, author=self._author(run))
        self.model.record_run(run)
        changed: set[str] = set()
        removed: set[str] = set()
        if answer is not None:
            flow = cell_flow(run.source)
            changed, removed = self.model.apply_probe(answer, run, flow.binds - flow.deletes)
        return self._write(changed, removed, full=bool(answer and answer.get("full")))

    def _author(self, run: Run) -> UserRecord | None:
        """The cell's last editor, if the cell still holds the source it ran (edited during
        the run, its last editor wrote something else)."""
        if self._sources().get(run.cell_id) != run.source_hash:
            return None
        return self.editors.get(run.cell_id)

    def after_refresh(self, answer: dict[str, Any]) -> Write:
        """A probe between runs: whatever changed did so outside any run we know of."""
        changed, removed = self.model.apply_probe(answer, None)
        return self._write(changed, removed, full=bool(answer.get("full")))

    def reset(self) -> Write:
        """The kernel's namespace is gone (restart, shutdown, death, another kernel)."""
        self.model.reset()
        self.packages = None
        return self._write(set(), set(), full=True)

    def has_leftovers(self) -> bool:
        """Whether the document holds a view from an earlier kernel."""
        ykernel = self.room.doc.get(KERNEL_MAP, type=Map)
        variables = ykernel.get("variables")
        return bool(
            (isinstance(variables, Map) and len(variables))
            or ykernel.get("analysis")
            or ykernel.get("packages")
        )

    def set_packages(self, packages: list[dict[str, Any]]) -> Write:
        self.packages = packages

        def write(doc: Any) -> None:
            ykernel = doc.get(KERNEL_MAP, type=Map)
            if ykernel.get("packages") != packages:
                ykernel["packages"] = packages

        return write

    def _write(self, changed: set[str], removed: set[str], *, full: bool) -> Write:
        variables = {name: self.model.variable(name) for name in changed}
        analysis = self._analysis()
        count = len(self.model.names)
        authors = self._authors()

        def write(doc: Any) -> None:
            ykernel = doc.get(KERNEL_MAP, type=Map)
            yvariables = ykernel.get("variables")
            if not isinstance(yvariables, Map):
                yvariables = ykernel["variables"] = Map()
            if full:
                for name in list(yvariables.keys()):
                    if name not in self.model.names:
                        del yvariables[name]
            for name in removed:
                if name in yvariables:
                    del yvariables[name]
            for name, record in variables.items():
                yvariables[name] = record
            if full and not count and ykernel.get("packages"):
                ykernel["packages"] = []
            self._put_analysis(ykernel, analysis)
            # Saved with the view's writes (never per keystroke) for a later view to read.
            if ykernel.get(AUTHORS) != authors:
                ykernel[AUTHORS] = authors

        return write

    # -- the analysis --------------------------------------------------------------------

    def _analysis(self) -> dict[str, Any]:
        cells = []
        for ycell in self._cells:
            if not isinstance(ycell, Map):
                continue
            source = str(ycell.get("source", "")) if ycell.get("cell_type") == "code" else None
            cells.append(Cell(str(ycell.get("id")), source,
                              None if source is None else source_hash(source)))  # fmt: skip
        result = self.model.analyse(cells, self.editors, self.deleters)
        result["count"] = len(self.model.names)
        if self.model.skipped:
            result["skipped"] = self.model.skipped
        return result

    def _put_analysis(self, ykernel: Map[Any], analysis: dict[str, Any]) -> None:
        if analysis != self._written or ykernel.get("analysis") != analysis:
            ykernel["analysis"] = analysis
            self._written = analysis

    def _analysis_write(self, analysis: dict[str, Any]) -> Write:
        return lambda doc: self._put_analysis(doc.get(KERNEL_MAP, type=Map), analysis)

    async def keep_current(self) -> None:
        """Recompute the analysis a moment after people stop editing; forever."""
        while True:
            await self._edited.wait()
            await asyncio.sleep(self._delay)
            self._edited.clear()
            if self._written is None and not self.model.last_runs:
                continue  # nothing has run: no view to keep (and no edit to log)
            try:
                analysis = self._analysis()
                if analysis == self._written:
                    continue
                await self.room.apply_server_edit(
                    self._analysis_write(analysis), SERVER_USER, protected=True
                )
            except Exception:
                log.exception("kernel-state analysis write failed", extra={"room": self.room.id})


def _person_id(user_id: str | None) -> str:
    """The id of the person `StateView._person` makes of an author."""
    return SERVER_USER if user_id is None or user_id in (SERVER_USER, SERVER_MAPS) else user_id
