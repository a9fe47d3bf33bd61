"""Blame follows every character of a cell's source to the record that wrote it."""

from __future__ import annotations

import gc
import json
import weakref
import zlib
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text, merge_updates

from pairbook.record.blame import Blame
from pairbook.store.records import UpdateRecord


class Session:
    """Two people with their own documents; every edit becomes a log record, synced to all."""

    def __init__(self) -> None:
        self.docs: dict[str, Doc[Any]] = {}
        self.records: list[UpdateRecord] = []

    def person(self, user: str, client_id: int) -> None:
        doc: Doc[Any] = Doc(client_id=client_id)
        for record in self.records:
            doc.apply_update(record.update)
        self.docs[user] = doc

    def cells(self, user: str) -> Array[Any]:
        cells: Array[Any] = self.docs[user].get("cells", type=Array)
        return cells

    def edit(self, user: str, change: Any) -> None:
        doc = self.docs[user]
        before = doc.get_state()
        with doc.transaction():
            change(self.cells(user))
        update = doc.get_update(before)
        seq = len(self.records) + 1
        self.records.append(UpdateRecord("r", seq, update, user, (doc.client_id,), 100.0 + seq))
        for other, odoc in self.docs.items():
            if other != user:
                odoc.apply_update(update)

    def source(self, user: str, index: int) -> Text:
        source: Text = self.cells(user)[index]["source"]
        return source


def new_cell(cell_id: str, text: str) -> Map[Any]:
    return Map({"id": cell_id, "cell_type": "code", "source": Text(text), "metadata": Map({})})


def move(cells: Array[Any], from_index: int, to_index: int) -> None:
    """What @jupyter/ydoc's moveCell does: delete the cell, insert a copy with the same id."""
    cell = cells[from_index].to_py()
    del cells[from_index]
    cells.insert(to_index, new_cell(cell["id"], cell["source"]))


def blame_of(session: Session, upto: int | None = None) -> Blame:
    blame = Blame()
    for record in session.records[:upto]:
        blame.apply(record)
    return blame


def owners(blame: Blame, cell_id: str) -> list[tuple[str, str]]:
    return [(line.text, line.user_id) for line in blame.lines(cell_id)]


def test_interleaved_typing_in_one_cell_is_blamed_per_line() -> None:
    s = Session()
    s.person("alice", 1)
    s.person("bob", 2)
    s.edit("alice", lambda c: c.append(new_cell("a", "x = 1\n")))
    s.edit("bob", lambda c: s.source("bob", 0).insert(len("x = 1\n"), "y = 2\n"))
    s.edit("alice", lambda c: s.source("alice", 0).insert(len("x = 1\ny = 2\n"), "z = x + y"))
    s.edit("bob", lambda c: s.source("bob", 0).insert(0, "# sum\n"))
    blame = blame_of(s)
    assert owners(blame, "a") == [
        ("# sum", "bob"),
        ("x = 1", "alice"),
        ("y = 2", "bob"),
        ("z = x + y", "alice"),
    ]
    assert [line.seq for line in blame.lines("a")] == [4, 1, 2, 3]


def test_a_changed_line_goes_to_whoever_changed_it_last_and_lists_both() -> None:
    s = Session()
    s.person("alice", 1)
    s.person("bob", 2)
    s.edit("alice", lambda c: c.append(new_cell("a", "total = 0\n")))
    s.edit("bob", lambda c: s.source("bob", 0).insert(len("total = "), "1"))
    line = blame_of(s).lines("a")[0]
    assert (line.text, line.user_id, line.authors) == ("total = 10", "bob", ("alice", "bob"))


def test_deleting_lines_keeps_the_others_authors_and_earlier_moments_stay_whole() -> None:
    s = Session()
    s.person("alice", 1)
    s.person("bob", 2)
    s.edit("alice", lambda c: c.append(new_cell("a", "a = 1\nb = 2\n")))
    s.edit("bob", lambda c: s.source("bob", 0).insert(len("a = 1\nb = 2\n"), "c = 3"))
    s.edit("alice", lambda c: s.source("alice", 0).__delitem__(slice(0, len("a = 1\n"))))
    assert owners(blame_of(s), "a") == [("b = 2", "alice"), ("c = 3", "bob")]
    assert owners(blame_of(s, 2), "a") == [("a = 1", "alice"), ("b = 2", "alice"), ("c = 3", "bob")]


def test_a_moved_cell_keeps_its_authors() -> None:
    s = Session()
    s.person("alice", 1)
    s.person("bob", 2)
    s.edit("alice", lambda c: c.extend([new_cell("a", "first\n"), new_cell("b", "second\n")]))
    s.edit("bob", lambda c: s.source("bob", 1).insert(len("second\n"), "by bob"))
    s.edit("alice", lambda c: move(c, 1, 0))
    blame = blame_of(s)
    assert blame.cell_ids() == ["b", "a"]
    assert owners(blame, "b") == [("second", "alice"), ("by bob", "bob")]


def test_non_ascii_text_is_followed_by_its_utf8_offsets() -> None:
    s = Session()
    s.person("alice", 1)
    s.person("bob", 2)
    s.edit("alice", lambda c: c.append(new_cell("a", "héllo = 'wörld'\n")))
    s.edit("bob", lambda c: s.source("bob", 0).insert(len("héllo = 'wörld'\n".encode()), "ñ = 2"))
    assert owners(blame_of(s), "a") == [("héllo = 'wörld'", "alice"), ("ñ = 2", "bob")]


def test_a_cell_that_is_gone_cannot_be_blamed() -> None:
    s = Session()
    s.person("alice", 1)
    s.edit("alice", lambda c: c.append(new_cell("a", "x")))
    s.edit("alice", lambda c: c.__delitem__(0))
    with pytest.raises(LookupError, match="no cell 'a'"):
        blame_of(s).lines("a")


def test_a_kept_blame_without_the_unknown_stamp_is_restored_after_it() -> None:
    # `Blame.state()` always keeps the stamp of text older than the log (seq 0) first; a
    # kept blame that starts at a record instead gets it put back in front, and its cells'
    # stamps still name the records they named.
    doc: Doc[Any] = Doc()
    doc.get("cells", type=Array).append(new_cell("c1", "ab\ncd"))
    kept = {"users": ["ana", "bo"], "seqs": [5, 2], "ms": [1000, 500], "who": [0, 1],
            "cells": {"c1": ["ab\ncd", [0, 0, 0, 1, 0]]}}  # fmt: skip
    state = zlib.compress(json.dumps(kept).encode())
    blame = Blame.restore(doc.get_update(), 7, state)
    lines = blame.lines("c1")
    assert [(line.text, line.user_id, line.seq, line.ts) for line in lines] == [
        ("ab", "ana", 5, 1.0),
        ("cd", "bo", 7, 1.5),
    ]
    assert blame.stamp(0) == ("", 0, 0.0)


def test_a_blame_let_go_is_freed_with_its_document() -> None:
    # pycrdt keeps an observer's callback in the Doc, out of the garbage collector's sight:
    # one holding the Blame kept every Blame ever made (and its document) alive.
    session = Session()
    session.person("ana", 1)
    session.edit("ana", lambda cells: cells.append(new_cell("c1", "x = 1")))
    blame = blame_of(session)
    gone, doc_gone = weakref.ref(blame), weakref.ref(blame.doc)
    del blame
    gc.collect()
    assert gone() is None
    assert doc_gone() is None


def test_a_copy_made_while_structs_wait_takes_them_when_the_gap_is_filled() -> None:
    """A copy (the replayer keeps some, to go back) is made from its document's encoding,
    which leaves the structs that wait behind a skip out."""
    s = Session()
    s.person("alice", 1)
    s.edit("alice", lambda cells: cells.append(new_cell("c", "")))
    s.person("bob", 2)
    bob, source = s.docs["bob"], s.source("bob", 0)
    updates = []
    for typed in ("a\n", "bc\n", "d\n"):
        before = bob.get_state()
        source.insert(len(source), typed)
        updates.append(bob.get_update(before))
    first, middle, last = updates
    # "d\n" follows "bc\n", its origin: behind the skip over it, it waits.
    gapped = UpdateRecord("r", 2, merge_updates(first, last), "bob", (2,), 102.0)
    filled = UpdateRecord("r", 3, middle, "bob", (2,), 103.0)
    blame = blame_of(s)
    blame.apply(gapped)
    twin = blame.copy()
    for each in (blame, twin):
        each.apply(filled)
    assert owners(blame, "c")[:3] == [("a", "bob"), ("bc", "bob"), ("d", "bob")]
    assert owners(twin, "c") == owners(blame, "c")


def test_a_log_holding_cells_that_are_not_maps_is_blamed_around_them() -> None:
    """Logs written before such updates were refused (17475a8) may hold a cell that is a
    string or a number: blame names the real cells' lines and passes over those."""
    s = Session()
    s.person("alice", 1)
    s.edit("alice", lambda c: c.append(new_cell("a", "x = 1\n")))
    s.edit("alice", lambda c: c.extend(["not a cell", 7.0]))
    s.edit("alice", lambda c: c.append(new_cell("b", "y = 2")))
    blame = blame_of(s)
    assert blame.cell_ids() == ["a", "", "", "b"]
    assert owners(blame, "a") == [("x = 1", "alice"), ("", "alice")]
    assert owners(blame, "b") == [("y = 2", "alice")]
