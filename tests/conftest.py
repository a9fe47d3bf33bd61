"""The suite's own pytest-xdist scheduling (`--dist loadgroup`, scripts/check.sh)."""

from __future__ import annotations

# Imported now, while the stack is shallow: hypothesis's pytest plugin imports it lazily in the
# terminal summary, and pytest's assertion rewriter parsing it there met CPython 3.11.7's "AST
# constructor recursion depth mismatch" SystemError after a test had hit a RecursionError
# (pytest then exited 1 with every test passed).
import hypothesis
import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

BROWSER = "tests/browser/"

# Hypothesis fails an example that takes over 200 ms, and a generation it finds slow: both are
# wall-clock checks, which on a loaded machine fail tests whose code is right (the keystroke
# agreement test took 258 ms under four helpers' load). Speed is measured in bench/, not here.
hypothesis.settings.register_profile(
    "pairbook",
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
hypothesis.settings.load_profile("pairbook")


class BrowserGroupScheduling(LoadScopeScheduling):
    """Every test is a unit of its own for any worker, except the browser tests: they share
    one server and one Chromium per worker (tests/browser/conftest.py), so one worker runs
    them all. (xdist's own loadgroup reads `xdist_group` marks from a suffix it appends to
    node ids, which pytest 9.2's structured node ids drop: pytest-xdist issue #1386.)"""

    def _split_scope(self, nodeid: str) -> str:
        return BROWSER if nodeid.startswith(BROWSER) else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadScopeScheduling | None:
    if config.getvalue("dist") != "loadgroup":
        return None
    return BrowserGroupScheduling(config, log)
