"""KernelState: provenance of names and the warnings, from runs and probe answers."""

from __future__ import annotations

import hashlib
from typing import Any

from pairbook.state.dataflow import cell_flow
from pairbook.state.model import Cell, KernelState, Run

ANA = {"id": "ana", "name": "Ana"}
BO = {"id": "bo", "name": "Bo"}


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

    def run(self, cell: str, user: dict[str, Any], changed: dict[str, str],
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
