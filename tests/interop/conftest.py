"""Interop tests: stock Node yjs / y-websocket / @jupyter/ydoc peers against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.notebooks import write_notebook
from support.server import ServerProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    root = tmp_path / "notebooks"
    write_notebook(root / "demo.ipynb")
    with ServerProcess(root, store=str(tmp_path / "store.sqlite")) as running:
        yield running
