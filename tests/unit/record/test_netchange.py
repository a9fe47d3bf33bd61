"""The review's net change: cells matched by id, sources diffed by line with blame, runs."""

from __future__ import annotations

from typing import Any

from pycrdt import Map, Text

from pairbook.notebook import ydoc_to_notebook
from pairbook.record.blame import Blame, LineBlame
from pairbook.record.netchange import diff_rows, moved_cells, net_change
from pairbook.record.outputview import output_view
from unit.record.test_blame import Session, new_cell


def code(
    cell_id: str, source: str, outputs: list[Any] | None = None, count: int | None = None
) -> dict[str, Any]:
    return {
        "id": cell_id,
        "cell_type": "code",
        "source": source,
        "metadata": {},
        "outputs": outputs or [],
        "execution_count": count,
    }


def notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def by_id(changes: list[Any]) -> dict[str, Any]:
    return {change["id"]: change for change in changes}


def test_cells_are_matched_by_id_into_added_deleted_changed_and_unchanged() -> None:
    before = notebook(code("a", "x = 1"), code("b", "y = 2"), code("c", "z = 3"))
    after = notebook(code("a", "x = 1"), code("c", "z = 30"), code("d", "w = 4"))
    changes = net_change(before, after, {}, {}, None)
    assert [(c["id"], c["status"]) for c in changes] == [
        ("a", "unchanged"),
        ("b", "deleted"),
        ("c", "changed"),
        ("d", "added"),
    ]
    found = by_id(changes)
    assert found["b"]["index_before"] == 1
    assert found["b"]["index_after"] is None
    assert found["d"]["index_before"] is None
    assert found["d"]["index_after"] == 2
    assert found["a"]["rows"] == []
    assert found["a"]["first_line"] == "x = 1"
    assert [r["kind"] for r in found["c"]["rows"]] == ["changed"]
    assert found["b"]["rows"][0] == {
        "kind": "deleted",
        "left": {"no": 1, "text": "y = 2"},
        "right": None,
    }


def test_a_deleted_cell_is_shown_after_the_cell_that_preceded_it() -> None:
    before = notebook(code("a", "1"), code("b", "2"), code("c", "3"), code("d", "4"))
    after = notebook(code("d", "4"), code("c", "3"))
    order = [(c["id"], c["status"]) for c in net_change(before, after, {}, {}, None)]
    assert order == [("a", "deleted"), ("b", "deleted"), ("d", "unchanged"), ("c", "unchanged")]
    after = notebook(code("b", "2"), code("d", "4"))
    ids = [c["id"] for c in net_change(before, after, {}, {}, None)]
    assert ids == ["a", "b", "c", "d"]
    first_deleted = notebook(code("a", "1"), code("b", "2"))
    ids = [c["id"] for c in net_change(first_deleted, notebook(code("b", "2")), {}, {}, None)]
    assert ids == ["a", "b"]


def test_only_the_cells_out_of_the_agreed_order_count_as_moved() -> None:
    assert moved_cells(["a", "b", "c", "d"], ["a", "b", "c", "d"]) == set()
    assert moved_cells(["a", "b", "c", "d"], ["b", "c", "d", "a"]) == {"a"}
    assert moved_cells(["a", "b", "c", "d"], ["a", "d", "b", "c"]) == {"d"}
    # Added and deleted cells do not make their neighbours look moved.
    assert moved_cells(["a", "x", "b"], ["a", "b", "y"]) == set()
    before = notebook(code("a", "1"), code("b", "2"), code("c", "3"))
    after = notebook(code("c", "3"), code("a", "1"), code("b", "2"))
    moved = {c["id"]: (c["moved"], c["status"]) for c in net_change(before, after, {}, {}, None)}
    assert moved == {"c": (True, "unchanged"), "a": (False, "unchanged"), "b": (False, "unchanged")}


def test_a_cell_whose_type_changed_is_changed_even_with_the_same_source() -> None:
    before = notebook(code("a", "# Title"))
    after = notebook({"id": "a", "cell_type": "markdown", "source": "# Title", "metadata": {}})
    (change,) = net_change(before, after, {}, {}, None)
    assert change["status"] == "changed"
    assert (change["before_type"], change["cell_type"]) == ("code", "markdown")


def test_side_by_side_rows_pair_changed_lines_and_carry_the_blame() -> None:
    blame = [
        LineBlame(0, "import os", "ann", 3, 10.0, ("ann",)),
        LineBlame(1, "x = 2", "bob", 7, 20.0, ("ann", "bob")),
        LineBlame(2, "print(x)", "bob", 8, 21.0, ("bob",)),
    ]
    rows = diff_rows("import os\nx = 1\ny = 0", "import os\nx = 2\nprint(x)", blame)
    assert [r["kind"] for r in rows] == ["equal", "changed", "changed"]
    assert rows[1]["left"] == {"no": 2, "text": "x = 1"}
    assert rows[1]["right"] == {
        "no": 2,
        "text": "x = 2",
        "user": "bob",
        "authors": ["ann", "bob"],
        "ts": 20.0,
    }
    grown = diff_rows("a\nb", "a\nb2\nc\nd", [])
    assert [r["kind"] for r in grown] == ["equal", "changed", "added", "added"]
    assert grown[3]["left"] is None
    assert grown[3]["right"] is not None
    assert grown[3]["right"]["user"] == ""
    shrunk = diff_rows("a\nb\nc", "a", [])
    assert [r["kind"] for r in shrunk] == ["equal", "deleted", "deleted"]
    assert diff_rows("", "x", []) == [
        {
            "kind": "added",
            "left": None,
            "right": {"no": 1, "text": "x", "user": "", "authors": [], "ts": 0.0},
        }
    ]


def test_blame_from_a_two_person_log_names_who_wrote_each_changed_line() -> None:
    session = Session()
    session.person("ann", 11)
    session.edit("ann", lambda cells: cells.append(new_cell("c1", "a = 1\nb = 2")))
    before = ydoc_to_notebook(session.docs["ann"])
    session.person("bob", 22)
    session.edit("bob", lambda cells: cells[0]["source"].insert(len("a = 1\nb = 2"), "\nc = a + b"))
    session.edit("ann", lambda cells: cells[0]["source"].insert(len("a = 1"), "0"))
    blame = Blame()
    for record in session.records:
        blame.apply(record)
    after = ydoc_to_notebook(session.docs["ann"])
    (change,) = net_change(before, after, {"c1": blame.lines("c1")}, {}, None)
    assert change["status"] == "changed"
    rows = [
        (r["kind"], r["right"] and r["right"]["text"], r["right"] and r["right"]["user"])
        for r in change["rows"]
    ]
    assert rows == [
        ("changed", "a = 10", "ann"),
        ("equal", "b = 2", "ann"),
        ("added", "c = a + b", "bob"),
    ]
    assert change["authors"] == ["ann", "bob"]


def test_outputs_changes_ignore_execution_counts_and_name_the_run_that_produced_them() -> None:
    result = {"output_type": "execute_result", "data": {"text/plain": "3"}, "metadata": {}}
    before = notebook(code("a", "1 + 2", [result | {"execution_count": 1}], 1))
    rerun = notebook(code("a", "1 + 2", [result | {"execution_count": 4}], 4))
    executions = {
        "r1": run("r1", "a", "ann", 3, started=50.0),
        "r2": run("r2", "a", "bob", 4, started=60.0),
        "old": run("old", "a", "ann", 1, started=5.0),
        "queued": run("queued", "a", "bob", None, started=None),
    }
    (change,) = net_change(before, rerun, {}, executions, 10.0)
    assert change["status"] == "unchanged"
    assert not change["outputs_changed"]
    assert [(r["id"], r["user"]["id"], r["produced_outputs"]) for r in change["runs"]] == [
        ("r1", "ann", False),
        ("r2", "bob", True),
    ]
    printed = notebook(code("a", "print(3)", [stream("3\n")], 4))
    (change,) = net_change(before, printed, {}, executions, None)
    assert change["status"] == "changed"
    assert change["outputs_changed"]
    assert [o["text"] for o in change["outputs_before"]] == ["3"]
    assert [o["type"] for o in change["outputs_after"]] == ["stream"]
    assert [r["id"] for r in change["runs"]] == ["old", "r1", "r2"]


def run(
    run_id: str, cell: str, user: str, count: int | None, *, started: float | None
) -> dict[str, Any]:
    return {
        "id": run_id,
        "cell_id": cell,
        "user": {"id": user, "name": user.title(), "color": "#123456"},
        "status": "ok" if started is not None else "queued",
        "queued_at": (started or 100.0) - 1,
        "started_at": started,
        "finished_at": None if started is None else started + 1,
        "execution_count": None if count is None else float(count),  # as the Doc stores it
        "source_hash": None,
        "error": None,
    }


def test_outputs_are_reduced_to_text_and_raster_images_never_markup() -> None:
    html = output_view(
        {
            "output_type": "display_data",
            "data": {"text/html": "<img src=x onerror=alert(1)>", "text/plain": "<Frame>"},
        }
    )
    assert html == {"type": "display_data", "text": "<Frame>", "truncated": 0, "mime": "text/html"}
    png = output_view({"output_type": "display_data", "data": {"image/png": "iVBORw0K\nGgo="}})
    assert png["image"] == "iVBORw0KGgo="
    assert png["mime"] == "image/png"
    forged = output_view({"output_type": "display_data", "data": {"image/png": '"><script>'}})
    assert "image" not in forged
    error = output_view(
        {
            "output_type": "error",
            "ename": "E",
            "evalue": "v",
            "traceback": ["\x1b[0;31mE\x1b[0m: v"],
        }
    )
    assert error["text"] == "E: v"
    long = output_view(stream("x" * 5000))
    assert len(long["text"]) == 4000
    assert long["truncated"] == 1000


def test_a_notebook_read_from_a_doc_round_trips_through_the_net_change() -> None:
    session = Session()
    session.person("ann", 11)
    markdown = {"id": "m", "cell_type": "markdown", "source": Text("# T"), "metadata": Map({})}
    session.edit("ann", lambda cells: cells.append(Map(markdown)))
    nb = ydoc_to_notebook(session.docs["ann"])
    (change,) = net_change(None, nb, {}, {}, None)
    assert (change["status"], change["cell_type"]) == ("added", "markdown")
