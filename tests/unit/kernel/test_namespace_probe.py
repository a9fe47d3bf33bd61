"""The in-kernel namespace probe, run in this process against a stand-in IPython shell."""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path
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
    monkeypatch.setattr(probe, "_state", {"generation": 0, "fingerprints": {}, "values": {}})
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


def test_values_whose_hashes_collide_are_still_changes(namespace: dict[str, Any]) -> None:
    namespace["offset"] = -1
    first = answer()
    namespace["offset"] = -2  # hash(-1) == hash(-2) in CPython
    assert set(answer(first["generation"])["changed"]) == {"offset"}


def test_big_bytes_metaclass_reprs_and_user_timers_are_safe(
    namespace: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Meta(type):
        def __repr__(cls) -> str:
            raise RuntimeError("no repr for classes")

    class Odd(metaclass=Meta):
        def __repr__(self) -> str:
            return "odd"

    namespace.update({"blob": b"x" * 50_000_000, "Odd": Odd, "odd": Odd()})
    changed = answer()["changed"]
    assert len(changed["blob"]["summary"]) <= probe.SUMMARY_CHARS
    assert changed["odd"]["summary"] == "odd"
    assert "Odd" in changed  # its fingerprint needs no repr of the class
    signal.setitimer(signal.ITIMER_REAL, 30)  # the user's own alarm
    try:
        namespace["later"] = Odd()
        result = answer()["changed"]["later"]
        assert "timer" in result["note"]
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0  # theirs is left running
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def test_lone_surrogates_never_reach_the_document() -> None:
    from pairbook.kernel.probe import probe_answer

    payload = json.dumps({"changed": {"f": {"summary": "<F \udcff>"}}, "emoji": "\U0001f600"})
    result = probe_answer({"pairbook": {"status": "ok", "data": {"text/plain": repr(payload)}}})
    assert result["changed"]["f"]["summary"] == "<F \\udcff>"
    assert result["emoji"] == "\U0001f600"


def test_rebinding_to_an_equal_value_or_to_none_is_a_change(namespace: dict[str, Any]) -> None:
    """Names bound to the object the last probe saw are skipped, by identity: an equal
    value of another type, or None bound anew, is still seen."""
    namespace.update({"flag": 1, "big": 10**30, "text": "a" * 10})
    generation = answer()["generation"]
    for name, value in [("flag", True), ("flag", 1.0), ("big", 10**30 + 0), ("nothing", None),
                        ("text", "a" * 5 + "a" * 5), ("nothing", 0)]:  # fmt: skip
        namespace[name] = value
        result = answer(generation)
        generation = result["generation"]
        kind = type(value).__name__
        assert result["changed"].get(name, {}).get("type") == kind or (
            name in ("big", "text")  # an equal value of the same type: no change to show
        ), (name, value, result)
    del namespace["flag"]
    assert answer(generation)["removed"] == ["flag"]


def test_incremental_answers_add_up_to_what_a_full_probe_sees(
    namespace: dict[str, Any],
) -> None:
    """Random rebinds, in-place changes and deletions (a fixed seed): the view built from
    the incremental answers matches the namespace at every step."""
    rng = random.Random(14)
    values: list[Any] = [0, 1, 1.0, True, None, "s", "t" * 5000, b"b", [], (1,)]
    first = answer()
    view = {name: info["fingerprint"] for name, info in first["changed"].items()}
    generation = first["generation"]
    for step in range(300):
        name = f"n{rng.randrange(12)}"
        action = rng.random()
        if action < 0.6:
            value = rng.choice(values)
            namespace[name] = list(value) if isinstance(value, list) else value
        elif action < 0.8 and isinstance(namespace.get(name), list):
            namespace[name].append(step)
        else:
            namespace.pop(name, None)
        result = answer(generation)
        generation = result["generation"]
        for gone in result["removed"]:
            del view[gone]
        view.update({n: info["fingerprint"] for n, info in result["changed"].items()})
        expected = {
            n: f"{hash(probe._plain(probe._mark(v))) & 0xFFFFFFFF:08x}"
            for n, v in namespace.items()
            if n.startswith("n")
        }
        assert view == expected, step
        assert result["count"] == len(expected)


def test_a_probe_among_many_names_fingerprints_only_rebound_ones(
    namespace: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace.update({f"v{i}": i * 1000 for i in range(2000)})
    namespace["items"] = [1, 2]
    generation = answer()["generation"]
    marked: list[Any] = []
    plain = probe._mark

    def counting(value: Any) -> Any:
        marked.append(value)
        return plain(value)

    monkeypatch.setattr(probe, "_mark", counting)
    namespace["v7"] = -1
    result = answer(generation)
    assert set(result["changed"]) == {"v7"}
    # The rebound name and the mutable list (it may change in place), not 2,000 numbers.
    assert len(marked) <= 5


def test_the_package_index_is_built_in_a_thread_and_a_lookup_need_not_wait_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading every distribution's metadata takes seconds in a cold kernel: a lookup that
    built the index itself held the kernel's shell, and the next run waited behind it."""
    from importlib import metadata

    monkeypatch.setattr(probe, "_state", {"generation": 0, "fingerprints": {}})
    release = threading.Event()

    def slow() -> Any:
        assert release.wait(10)  # a bound on a hang: the test releases it below
        return {"pytest": ["pytest"], "IPython": ["ipython"]}  # the kernel's own: left out

    monkeypatch.setattr(metadata, "packages_distributions", slow)
    assert json.loads(probe.packages(wait=False)) is None  # indexing: ask again later
    assert json.loads(probe.packages(wait=False)) is None  # one index is built, not two
    release.set()
    found = json.loads(probe.packages(wait=True))  # waits for the thread's index
    assert [(p["name"], p["modules"]) for p in found] == [("pytest", ["pytest"])]
    assert json.loads(probe.packages(wait=False)) == found  # from the index, at once


def test_a_package_index_that_cannot_be_built_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    def broken() -> Any:
        raise OSError("site-packages unreadable")

    monkeypatch.setattr(probe, "_state", {"generation": 0, "fingerprints": {}})
    monkeypatch.setattr(metadata, "packages_distributions", broken)
    with pytest.raises(RuntimeError, match="site-packages unreadable"):
        probe.packages(wait=True)


def test_an_index_begun_before_a_pip_install_never_stands_for_the_one_after(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A `pip install` while the kernel indexes its distributions (sys.path's mtimes change)
    started an index for the new sys.path beside the first. The first, slower, ended last and
    wrote its index over the new one; the new one's build was over, so none was started
    again, and every lookup failed ("could not be built: None") until sys.path changed."""
    from importlib import metadata

    monkeypatch.setattr(probe, "_state", {"generation": 0, "fingerprints": {}})
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    builders: list[threading.Thread] = []
    first_began, release_first = threading.Event(), threading.Event()

    def slow() -> Any:
        builders.append(threading.current_thread())
        if len(builders) > 1:
            return {"pytest": ["after-install"]}
        first_began.set()
        assert release_first.wait(10)  # a bound on a hang: the test releases it below
        return {"pytest": ["before-install"]}

    monkeypatch.setattr(metadata, "packages_distributions", slow)
    assert json.loads(probe.packages(wait=False)) is None  # the first index is being built
    assert first_began.wait(10)
    os.utime(tmp_path, ns=(0, os.stat(tmp_path).st_mtime_ns + 10**9))  # the pip install
    assert json.loads(probe.packages(wait=False)) is None
    for other in threading.enumerate():  # any other build ends first, the first one last
        if other.name.endswith("(_build)") and other is not builders[0]:
            other.join(10)
    release_first.set()
    builders[0].join(10)
    found = json.loads(probe.packages(wait=True))
    assert [p["name"] for p in found] == ["after-install"]
    assert len(builders) == 2  # one index for sys.path before the install, one for after


def test_an_index_that_failed_is_built_again_by_the_next_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure (a distribution's files half written by a `pip install`, say) is not kept:
    before, every lookup answered it until sys.path changed again."""
    from importlib import metadata

    calls: list[int] = []

    def once_broken() -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("METADATA half written")
        return {"pytest": ["pytest"]}

    monkeypatch.setattr(probe, "_state", {"generation": 0, "fingerprints": {}})
    monkeypatch.setattr(metadata, "packages_distributions", once_broken)
    with pytest.raises(RuntimeError, match="half written"):
        probe.packages(wait=True)
    assert [p["name"] for p in json.loads(probe.packages(wait=True))] == ["pytest"]
