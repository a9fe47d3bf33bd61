"""Fixtures for browser tests: one real pairbook server and one Chromium for the session."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

pytest.importorskip("playwright", reason="the browser tests need the `playwright` Python package")

from playwright.async_api import Browser

from support.browser import BUILT_CLIENT, CHROMIUM, chromium
from support.notebooks import write_notebook
from support.server import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    if not BUILT_CLIENT.exists():
        pytest.fail("the browser client is not built: run `bash scripts/install.sh` first")
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `bash scripts/install.sh` (it installs Debian's)")
    base = tmp_path_factory.mktemp("browser")
    (base / "notebooks").mkdir()
    with ServerProcess(base / "notebooks", store=str(base / "store.sqlite")) as running:
        yield running


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
def notebook(server: ServerProcess, request: pytest.FixtureRequest) -> str:
    """A fresh notebook for this test: a markdown cell and two code cells."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-") + ".ipynb"
    write_notebook(server.root / name, ["x = 1\nprint(x)", "y = x + 1\ny"])
    return name


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where tests put screenshots: PAIRBOOK_SCREENSHOTS if set (e.g. docs/), else tmp."""
    target = os.environ.get("PAIRBOOK_SCREENSHOTS")
    return Path(target) if target else tmp_path
