"""Dataflow of a cell's source: what it reads from the kernel and what it binds."""

from __future__ import annotations

import pytest

from pairbook.state.dataflow import cell_flow


@pytest.mark.parametrize(
    ("source", "reads", "writes"),
    [
        ("x = 1\ny = x + z", {"z"}, {"x", "y"}),
        ("x += 1", {"x"}, {"x"}),
        ("print(a)\na = 1", {"a"}, {"a"}),  # read before the cell binds it
        ("import numpy as np\nfrom os import path as p", set(), {"np", "p"}),
        ("import os.path", set(), {"os"}),
        ('df["a"] = b', {"b", "df"}, {"df"}),  # item assignment mutates df
        ("obj.attr = 5", {"obj"}, {"obj"}),
        ("for i in range(3):\n    total += i", {"total"}, {"i", "total"}),
        ("[k for k in data if k > lim]", {"data", "lim"}, set()),
        ("{k: v for k, v in pairs}", {"pairs"}, set()),
        ("def f(a=d):\n    return g\nf()", {"d"}, {"f"}),  # the body runs later
        ("@deco\ndef f(): pass", {"deco"}, {"f"}),
        ("class A(B):\n    c = C\n    d = c", {"B", "C"}, {"A"}),
        ("with open(p) as fh:\n    t = fh.read()", {"p"}, {"fh", "t"}),
        ("if (n := len(a)) > 3: pass", {"a"}, {"n"}),
        ("[y := v for v in vs]", {"vs"}, {"y"}),
        ("lambda q: r", set(), set()),
        ("try:\n  import foo\nexcept ImportError as e:\n  print(e)", set(), {"e", "foo"}),
        ("match cmd:\n    case [x, y]:\n        z = x", {"cmd"}, {"x", "y", "z"}),
        ("x = !ls\n%time y = f(q)\n", {"f", "q"}, {"x", "y"}),  # IPython syntax
        ("%%time\nz = w * 2", {"w"}, {"z"}),
        ("%matplotlib inline\nplt = 1", set(), {"plt"}),
        ("!pip install foo\nv = 2", set(), {"v"}),
        ("len(xs)", {"xs"}, set()),  # builtins are not reads
    ],
)
def test_reads_and_writes(source: str, reads: set[str], writes: set[str]) -> None:
    flow = cell_flow(source)
    assert flow.error is None
    assert set(flow.reads) == reads
    assert set(flow.writes) == writes


def test_deletion_and_star_import() -> None:
    flow = cell_flow("del a, b[0]\nfrom math import *")
    assert flow.deletes == {"a"}
    assert {"a", "b"} <= flow.writes
    assert flow.star_import
    assert flow.to_json()["star_import"] is True


def test_a_syntax_error_is_reported_not_raised() -> None:
    flow = cell_flow("x = (")
    assert flow.error is not None
    assert "line 1" in flow.error
    assert not flow.reads
    assert not flow.writes


def test_a_source_too_deep_to_parse_is_an_error_not_a_crash() -> None:
    flow = cell_flow("total = " + " + ".join(f"v{i}" for i in range(5000)))
    assert flow.error is not None
    assert not flow.reads
