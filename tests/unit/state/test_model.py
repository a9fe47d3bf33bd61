"""KernelState: provenance of names and the warnings, from runs and probe answers."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from pairbook.schema import UserRecord
from pairbook.state.dataflow import cell_flow
from pairbook.state.model import Cell, KernelState, Run, _Name

ANA: UserRecord = {"id": "ana", "name": "Ana", "color": "#336699"}
BO: UserRecord = {"id": "bo", "name": "Bo", "color": "#993366"}


def digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


class Notebook:
    """Cells and a kernel-state model, run by hand."""

    def __init__(self, *sources: str) -> None:
        self.sources = {f"c{i}": s for i, s in enumerate(sources)}
        self.order = list(self.sources)
        self.state = KernelState()
        self.count = 0
        self.generation = 0

    def cells(self) -> list[Cell]:
        return [Cell(i, self.sources[i], digest(self.sources[i])) for i in self.order]

    def run(self, cell: str, user: UserRecord, changed: dict[str, str],
            removed: tuple[str, ...] = ()) -> Run:  # fmt: skip
        self.count += 1
        self.generation += 1
        source = self.sources[cell]
        run = Run(f"r{self.count}", cell, self.count, user, float(self.count), source,
                  digest(source))  # fmt: skip
        self.state.record_run(run)
        infos = {name: {"type": "int", "summary": value, "fingerprint": value}
                 for name, value in changed.items()}  # fmt: skip
        self.state.apply_probe(
            {"generation": self.generation, "full": False, "changed": infos,
             "removed": list(removed)}, run, cell_flow(source).binds)  # fmt: skip
        return run

    def analyse(self, **kwargs: Any) -> dict[str, Any]:
        return self.state.analyse(self.cells(), **kwargs)


def kinds(result: dict[str, Any], cell: str) -> list[str]:
    return [w["kind"] for w in result["warnings"].get(cell, [])]


def test_provenance_keeps_creator_and_last_changer() -> None:
    nb = Notebook("a = 1", "a = 2")
    nb.run("c0", ANA, {"a": "1"})
    nb.run("c1", BO, {"a": "2"})
    a = nb.state.variable("a")
    assert a["created"]["cell"] == "c0"
    assert a["created"]["user"] == ANA
    assert a["changed"]["cell"] == "c1"
    assert a["changed"]["user"] == BO
    assert a["summary"] == "2"


def test_stale_when_a_later_run_changes_what_a_cell_read() -> None:
    nb = Notebook("x = 1", "y = x + 1", "x = 5")
    nb.run("c0", ANA, {"x": "1"})
    nb.run("c1", ANA, {"y": "2"})
    assert kinds(nb.analyse(), "c1") == []
    nb.run("c2", BO, {"x": "5"})
    (stale,) = nb.analyse()["warnings"]["c1"]
    assert stale == {"kind": "stale", "name": "x", "cell": "c2", "by": BO}
    nb.run("c1", ANA, {"y": "6"})
    # Not stale any more, but now its output depends on the cell below it.
    assert kinds(nb.analyse(), "c1") == ["out-of-order"]


def test_a_cell_changing_its_own_input_is_not_stale() -> None:
    nb = Notebook("n = 0", "n = n + 1")
    nb.run("c0", ANA, {"n": "0"})
    nb.run("c1", ANA, {"n": "1"})
    nb.run("c1", ANA, {"n": "2"})
    assert kinds(nb.analyse(), "c1") == []


def test_out_of_order_below_edited_and_deleted() -> None:
    nb = Notebook("t = b + 1", "b = 1")
    nb.run("c1", ANA, {"b": "1"})
    nb.run("c0", ANA, {"t": "2"})
    (warning,) = nb.analyse()["warnings"]["c0"]
    assert warning["kind"] == "out-of-order"
    assert warning["reason"] == "below"
    nb.order = ["c1", "c0"]  # moved above: in order now
    assert kinds(nb.analyse(), "c0") == []
    nb.sources["c1"] = "b = 100"
    result = nb.analyse(editors={"c1": BO})
    ooo = [w for w in result["warnings"]["c0"] if w["kind"] == "out-of-order"]
    assert ooo[0]["reason"] == "edited"
    assert ooo[0]["by"] == BO
    nb.order = ["c0"]
    result = nb.analyse(deleters={"c1": BO})
    assert result["warnings"]["c0"][0]["reason"] == "deleted"
    assert result["hidden"] == [{"name": "b", "cell": "c1", "reason": "deleted", "by": BO}]


def test_unrun_edit_and_hidden_state_after_an_edit() -> None:
    nb = Notebook("tmp = 1\nkeep = 2")
    nb.run("c0", ANA, {"tmp": "1", "keep": "2"})
    assert nb.analyse()["hidden"] == []
    nb.sources["c0"] = "keep = 2"
    result = nb.analyse(editors={"c0": BO})
    assert result["warnings"]["c0"] == [{"kind": "unrun-edit", "by": BO, "ran_by": ANA}]
    assert result["hidden"] == [{"name": "tmp", "cell": "c0", "reason": "edited", "by": BO}]


def test_names_a_cell_made_without_binding_them_are_not_hidden() -> None:
    nb = Notebook("exec('made = 1')")
    nb.run("c0", ANA, {"made": "1"})
    assert nb.analyse()["hidden"] == []


def test_changes_between_runs_have_unknown_origin() -> None:
    nb = Notebook("a = 1")
    nb.run("c0", ANA, {"a": "1"})
    nb.state.apply_probe(
        {"generation": 99, "full": False, "removed": [],
         "changed": {"bg": {"type": "int", "summary": "3", "fingerprint": "3"}}}, None)  # fmt: skip
    assert nb.state.variable("bg")["created"] is None
    assert nb.analyse()["hidden"] == [{"name": "bg", "cell": None, "reason": "unknown",
                                       "by": None}]  # fmt: skip


def test_a_full_answer_keeps_provenance_of_unchanged_names_and_drops_missing_ones() -> None:
    nb = Notebook("a = 1\nb = 2")
    nb.run("c0", ANA, {"a": "1", "b": "2"})
    changed, removed = nb.state.apply_probe(
        {"generation": 5, "full": True,
         "changed": {"a": {"type": "int", "summary": "1", "fingerprint": "1"}}}, None)  # fmt: skip
    assert changed == set()
    assert removed == {"b"}
    assert nb.state.variable("a")["created"]["cell"] == "c0"
    nb.state.reset()
    assert nb.state.names == {}
    assert nb.state.generation == -1


def test_binding_the_same_value_again_from_another_cell_moves_the_definition() -> None:
    nb = Notebook("print('top')", "w = 3", "z = w * 2")
    nb.run("c1", ANA, {"w": "3"})
    nb.order = ["c0", "c2"]  # c1 deleted
    nb.sources["c0"] = "w = 3"
    # The probe sees no change (same value), but c0's source binds w.
    nb.count += 1
    nb.generation += 1
    source = nb.sources["c0"]
    run = Run(f"r{nb.count}", "c0", nb.count, BO, float(nb.count), source, digest(source))
    nb.state.record_run(run)
    changed, _ = nb.state.apply_probe(
        {"generation": nb.generation, "full": False, "changed": {}, "removed": []}, run, {"w"}
    )
    assert changed == {"w"}
    w = nb.state.variable("w")
    assert w["defined"]["cell"] == "c0"
    assert w["changed"]["cell"] == "c1"  # the value itself last changed in c1's run
    nb.run("c2", ANA, {"z": "6"})
    result = nb.analyse(deleters={"c1": BO})
    assert result["hidden"] == []
    assert kinds(result, "c2") == []


def test_changing_a_value_in_place_elsewhere_does_not_move_its_definition() -> None:
    nb = Notebook("lst = []", "lst.append(1)")
    nb.run("c0", ANA, {"lst": "[]"})
    nb.run("c1", BO, {"lst": "[1]"})
    lst = nb.state.variable("lst")
    assert lst["defined"]["cell"] == "c0"
    assert lst["changed"]["cell"] == "c1"
    nb.order = ["c1"]  # c0 deleted: lst is hidden state now
    result = nb.analyse(deleters={"c0": BO})
    assert result["hidden"] == [{"name": "lst", "cell": "c0", "reason": "deleted", "by": BO}]


def test_hidden_names_kept_from_the_last_analysis_follow_every_change() -> None:
    nb = Notebook("tmp = 1\nkeep = 2", "other = 3")
    nb.run("c0", ANA, {"tmp": "1", "keep": "2"})
    nb.run("c1", ANA, {"other": "3"})
    assert nb.analyse()["hidden"] == []
    assert nb.analyse()["hidden"] == []  # nothing changed: the same answer again
    nb.sources["c0"] = "keep = 2"  # a cell edited
    assert nb.analyse(editors={"c0": BO})["hidden"] == [
        {"name": "tmp", "cell": "c0", "reason": "edited", "by": BO}
    ]
    assert nb.analyse(editors={"c0": ANA})["hidden"][0]["by"] == ANA  # another editor
    nb.state.apply_probe({"generation": 99, "full": False, "changed": {}, "removed": ["tmp"]},
                         None)  # fmt: skip
    assert nb.analyse(editors={"c0": ANA})["hidden"] == []  # the name went
    nb.order = ["c0"]  # a cell deleted
    assert nb.analyse(deleters={"c1": BO})["hidden"] == [
        {"name": "other", "cell": "c1", "reason": "deleted", "by": BO}
    ]
    result = nb.analyse(deleters={"c1": BO})
    result["hidden"][0]["by"] = None  # a caller's change to the answer is its own
    assert nb.analyse(deleters={"c1": BO})["hidden"][0]["by"] == BO


def walked(state: KernelState, cells: list[Cell], editors: dict[str, Any],
           deleters: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    """The hidden names found the long way: every name, its defining run's verdict."""
    flows = {cell.id: cell_flow(cell.source) for cell in cells if cell.source is not None}
    defined = {name for flow in flows.values() for name in flow.writes - flow.deletes}
    stars = {cell_id for cell_id, flow in flows.items() if flow.star_import}
    current = {cell.id: cell for cell in cells}
    found = []
    for name in sorted(state.names):
        verdict = KernelState._hidden(
            state.names[name].defined[1], current, stars, editors, deleters
        )
        if name not in defined and verdict is not None:
            found.append({"name": name, **verdict})
    return found


def test_hidden_names_are_those_a_walk_of_every_name_finds() -> None:
    """Runs, refreshes, removals, edits, deletions and trimmed histories, in a random but
    fixed order: the per-run index gives what walking every name gives."""
    rng = random.Random(14)
    sources = ["a = 1\nb = 2", "c = a", "exec('d = 1')", "from m import *", "e = 1\ndel a"]
    nb = Notebook(*sources)
    nb.state.MAX_CHANGES = 2  # histories trimmed often
    pool = [*"abcdefgh", "x1", "x2"]
    editors: dict[str, Any] = {}
    deleters: dict[str, Any] = {}
    for step in range(200):
        action = rng.random()
        if action < 0.5 and nb.order:
            cell = rng.choice(nb.order)
            changed = {n: str(step) for n in rng.sample(pool, rng.randint(0, 3))}
            removed = tuple(rng.sample([n for n in pool if n not in changed], rng.randint(0, 1)))
            nb.run(cell, rng.choice([ANA, BO]), changed, removed)
        elif action < 0.65:
            nb.generation += 1
            changed_infos = {n: {"type": "int", "summary": "r", "fingerprint": str(step)}
                             for n in rng.sample(pool, rng.randint(0, 2))}  # fmt: skip
            nb.state.apply_probe({"generation": nb.generation, "full": rng.random() < 0.2,
                                  "changed": changed_infos, "removed": []}, None)  # fmt: skip
        elif action < 0.8:
            cell = rng.choice(list(nb.sources))
            nb.sources[cell] = rng.choice(sources)
            editors[cell] = rng.choice([ANA, BO])
        elif action < 0.9 and len(nb.order) > 1:
            gone = nb.order.pop(rng.randrange(len(nb.order)))
            deleters[gone] = rng.choice([ANA, BO])
        elif len(nb.order) < len(nb.sources):
            nb.order.append(next(c for c in nb.sources if c not in nb.order))
        cells = nb.cells()
        expected = walked(nb.state, cells, editors, deleters)
        assert nb.state.analyse(cells, editors, deleters)["hidden"] == expected, step


def test_a_run_among_many_names_does_not_look_at_every_name(monkeypatch: Any) -> None:
    """The hidden-state verdict is worked out per run: a trivial run in a kernel holding
    2,000 names one run made looks up no other name's definition."""
    nb = Notebook("for i in range(2000):\n    globals()[f'v{i}'] = i", "t = 1")
    nb.run("c0", ANA, {f"v{i}": str(i) for i in range(2000)})
    nb.analyse()
    looked_up = []
    plain = _Name.defined

    def counting(entry: _Name) -> Any:
        looked_up.append(entry)
        return plain.fget(entry)  # type: ignore[attr-defined]

    monkeypatch.setattr(_Name, "defined", property(counting))
    nb.run("c1", BO, {"t": "1"})
    assert nb.analyse()["hidden"] == []
    assert len(looked_up) <= 2
