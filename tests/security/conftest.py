"""The security tier: every finding of issue #12 reproduced against a real server process
(a real browser where one is involved). Each test here failed on the main before its fix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.notebooks import write_notebook
from support.server import ServerProcess


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/security/ carries the `security` marker (a conftest's own
    `pytestmark` would not mark them)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.security)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    root = tmp_path / "notebooks"
    write_notebook(root / "demo.ipynb")
    return root


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    return str(tmp_path / "store.sqlite")


@pytest.fixture
def server(workdir: Path, store_path: str) -> Iterator[ServerProcess]:
    with ServerProcess(workdir, store=store_path) as running:
        yield running
