"""The room's one observer of its cells: every service's observer sees each transaction's
change, read once; one that fails is logged and the others still see it."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from pairbook.rooms.cellwatch import CellsWatch
from pairbook.service import CellsChange
from support.kernelkit import notebook_doc


def type_into(doc: Doc[Any], index: int, text: str) -> None:
    ysource = doc.get("cells", type=Array)[index]["source"]
    assert isinstance(ysource, Text)
    ysource += text


def test_every_observer_sees_the_same_change_through_one_subscription() -> None:
    doc = notebook_doc(["x = 1", "y = 2"])
    watch = CellsWatch(doc, "demo.ipynb")
    assert not watch.subscribed  # nothing to observe for: no subscription
    seen: list[tuple[str, CellsChange]] = []
    stop_view = watch.observe(lambda change: seen.append(("view", change)))
    stop_mob = watch.observe(lambda change: seen.append(("mob", change)))
    assert watch.subscribed
    assert len(watch) == 2
    type_into(doc, 2, "0")
    assert [who for who, _ in seen] == ["view", "mob"]
    assert seen[0][1] is seen[1][1]  # read once, handed to both
    assert seen[0][1] == CellsChange(frozenset({"code-1"}), frozenset({"code-1"}), False, False)
    stop_view()
    stop_view()  # stopping twice is harmless
    type_into(doc, 1, "1")
    assert [who for who, _ in seen] == ["view", "mob", "mob"]
    stop_mob()
    assert not watch.subscribed
    assert len(watch) == 0
    type_into(doc, 1, "2")
    assert len(seen) == 3


def test_a_failing_observer_is_logged_and_the_others_still_see_the_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    doc = notebook_doc(["x = 1"])
    watch = CellsWatch(doc, "demo.ipynb")
    seen: list[CellsChange] = []

    def broken(change: CellsChange) -> None:
        raise RuntimeError("a bug in a service")

    watch.observe(broken)
    watch.observe(seen.append)
    with caplog.at_level(logging.ERROR, logger="pairbook.room"):
        type_into(doc, 1, "0")
    assert [change.sources for change in seen] == [frozenset({"code-0"})]
    assert str(doc.get("cells", type=Array)[1]["source"]) == "x = 10"  # the edit stands
    (record,) = [r for r in caplog.records if r.getMessage() == "a cells observer failed"]
    assert record.exc_info is not None
    assert "a bug in a service" in str(record.exc_info[1])


def test_cells_inserted_deleted_and_retyped() -> None:
    doc = notebook_doc(["x = 1"])
    watch = CellsWatch(doc, "demo.ipynb")
    seen: list[CellsChange] = []
    watch.observe(seen.append)
    ycells = doc.get("cells", type=Array)
    ycells.append(Map({"id": "new", "cell_type": "code", "source": Text("z")}))
    assert seen[-1] == CellsChange(frozenset({"new"}), frozenset(), True, False)
    ycells[0]["cell_type"] = "raw"
    assert seen[-1] == CellsChange(frozenset({"intro"}), frozenset(), False, True)
    with doc.transaction():  # two keys into one cell and one into another: each looked up
        type_into(doc, 1, "1")
        type_into(doc, 1, "2")
        type_into(doc, 2, "3")
    assert seen[-1].sources == {"code-0", "new"} == seen[-1].touched
    del ycells[1]
    assert seen[-1] == CellsChange(frozenset(), frozenset(), True, False)


def test_typing_reads_no_cell_after_the_first_keystroke(monkeypatch: pytest.MonkeyPatch) -> None:
    """A keystroke's cell id comes from the watch's cache: pycrdt's events are not wrapped
    and the cell is not looked up in the array again (issue #14, many rooms)."""
    doc = notebook_doc(["x = 1"])
    watch = CellsWatch(doc, "demo.ipynb")
    seen: list[CellsChange] = []
    watch.observe(seen.append)
    type_into(doc, 1, "0")  # the first keystroke into the cell looks it up once
    reads: list[int] = []
    get_item = Array.__getitem__

    def counted(self: Array[Any], key: Any) -> Any:
        reads.append(key)
        return get_item(self, key)

    monkeypatch.setattr(Array, "__getitem__", counted)
    ysource = doc.get("cells", type=Array)[1]["source"]  # the test's own read
    reads.clear()
    for char in "123":
        ysource += char
    assert reads == []
    assert [change.sources for change in seen] == [frozenset({"code-0"})] * 4


def test_the_cached_ids_follow_cells_moved_inserted_deleted_and_renamed() -> None:
    doc = notebook_doc(["a", "b", "c"])
    watch = CellsWatch(doc, "demo.ipynb")
    seen: list[CellsChange] = []
    watch.observe(seen.append)
    ycells = doc.get("cells", type=Array)
    for index in range(4):  # every index cached
        type_into(doc, index, "!")
    assert [set(change.sources) for change in seen] == [
        {"intro"}, {"code-0"}, {"code-1"}, {"code-2"}
    ]  # fmt: skip
    with doc.transaction():  # code-2 moved first (a move is a delete and an insert)
        del ycells[3]
        ycells.insert(0, Map({"id": "code-2", "cell_type": "code", "source": Text("c")}))
    type_into(doc, 0, "?")
    type_into(doc, 1, "?")
    assert [set(change.sources) for change in seen[-2:]] == [{"code-2"}, {"intro"}]
    ycells.insert(1, Map({"id": "inserted", "cell_type": "code", "source": Text("")}))
    type_into(doc, 2, "?")
    type_into(doc, 1, "?")
    assert [set(change.sources) for change in seen[-2:]] == [{"intro"}, {"inserted"}]
    del ycells[0]
    type_into(doc, 0, "?")
    assert seen[-1].sources == {"inserted"}
    ycells[0]["id"] = "renamed"  # a cell's own keys: read from the wrapped events
    assert seen[-1] == CellsChange(frozenset({"renamed"}), frozenset(), False, False)
    type_into(doc, 0, "?")
    assert seen[-1].sources == {"renamed"}
    stop = watch.observe(seen.append)
    stop()
    watch._forget(seen.append)  # the last observer gone: so is the subscription
    assert not watch.subscribed
    with doc.transaction():  # unseen: the last cell moved first
        del ycells[2]
        ycells.insert(0, Map({"id": "moved", "cell_type": "code", "source": Text("")}))
    watch.observe(seen.append)  # a new subscription starts with no cache
    type_into(doc, 0, "?")
    assert seen[-1].sources == {"moved"}
