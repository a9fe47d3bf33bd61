"""Notebook files for tests."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output


def write_notebook(path: Path, sources: list[str] | None = None) -> Path:
    """A small valid notebook: a markdown cell then code cells with the given sources."""
    sources = sources if sources is not None else ["x = 1\nprint(x)", "y = x + 1\ny"]
    cells = [new_markdown_cell("# Test notebook", id="intro")]
    for index, source in enumerate(sources):
        cell = new_code_cell(source, id=f"code-{index}")
        if index == 0:
            cell.outputs = [new_output("stream", name="stdout", text="1\n")]
            cell.execution_count = 1
        cells.append(cell)
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(notebook) + "\n")
    return path


def read_sources(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [str(cell.source) for cell in notebook.cells]
