"""The in-kernel namespace probe, run in this process against a stand-in IPython shell."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import IPython
import pytest

from pairbook.kernel import namespace_probe as probe


@pytest.fixture
def namespace(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    user_ns: dict[str, Any] = {}
    shell = SimpleNamespace(user_ns=user_ns, user_ns_hidden={"exit": "hidden-exit"})
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(probe, "_state", {"generation": 0, "fingerprints": {}})
    user_ns["exit"] = "hidden-exit"  # IPython's own (same object as in user_ns_hidden)
    user_ns.update({"In": [], "Out": {}, "_": None, "_i3": "x", "_7": 1, "__builtins__": {}})
    return user_ns


def answer(since: int = -1) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(probe.probe(since))
    return result


def test_only_user_names_and_then_only_what_changed(namespace: dict[str, Any]) -> None:
    namespace.update({"a": 1, "items": [1, 2], "_private": "kept"})
    first = answer()
    assert first["full"] is True
    assert set(first["changed"]) == {"a", "items", "_private"}
    items = first["changed"]["items"]
    assert items == {
        "type": "list",
        "len": 2,
        "summary": "[1, 2]",
        "fingerprint": items["fingerprint"],
    }
    namespace["items"].append(3)  # in place
    namespace["a"] = 2
    del namespace["_private"]
    second = answer(first["generation"])
    assert second["full"] is False
    assert set(second["changed"]) == {"a", "items"}
    assert second["removed"] == ["_private"]
    assert answer(second["generation"])["changed"] == {}
    assert answer(0)["full"] is True  # a server that lost count gets everything again


def test_hostile_reprs_are_bounded(namespace: dict[str, Any]) -> None:
    class Sleeper:
        def __repr__(self) -> str:
            time.sleep(60)
            return "never"

    class Raiser:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    class Swallower:
        def __repr__(self) -> str:
            try:
                time.sleep(60)
            except Exception:
                return "caught"
            return "swallowed"

    namespace.update({"s": Sleeper(), "r": Raiser(), "w": Swallower(), "big": "x" * 10_000_000})
    started = time.perf_counter()
    changed = answer()["changed"]
    assert time.perf_counter() - started < 5
    assert "longer than" in changed["s"]["note"]
    assert "longer than" in changed["w"]["note"]  # a broad except does not swallow the limit
    assert changed["r"]["summary"].startswith("<")
    assert len(changed["big"]["summary"]) <= probe.SUMMARY_CHARS
    assert changed["big"]["len"] == 10_000_000


def test_too_many_names_are_counted_not_described(
    namespace: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(probe, "MAX_NAMES", 3)
    namespace.update({f"v{i}": i for i in range(10)})
    result = answer()
    assert len(result["changed"]) == 3
    assert result["skipped"] == 7
