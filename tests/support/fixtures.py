"""Fixtures for tests against one real pairbook server process per test (the integration
and security tiers' conftests import them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.notebooks import write_notebook
from support.server import ServerProcess


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
