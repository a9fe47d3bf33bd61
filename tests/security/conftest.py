"""The security tier: every finding of issue #12 reproduced against a real server process
(a real browser where one is involved). Each test here failed on the main before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.fixtures import server, store_path, workdir

__all__ = ["server", "store_path", "workdir"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/security/ carries the `security` marker (a conftest's own
    `pytestmark` would not mark them)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.security)
