"""Notebooks for the notebook tests: the bundled examples and a varied generated set.

nbformat ships no .ipynb test data in this environment, so the generated set covers what
nbformat's own files would: attachments, raw cells, images, errors, stream lists, unicode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
    new_raw_cell,
)

import pairbook

EXAMPLES = Path(pairbook.__file__).parent / "examples"
EXAMPLE_NAMES = sorted(path.name for path in EXAMPLES.glob("*.ipynb"))

PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9"
    "awAAAABJRU5ErkJggg=="
)
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _everything() -> Any:
    return new_notebook(
        metadata={
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python", "version": "3.11.2"},
            "authors": [{"name": "Ada"}, {"name": "Grace"}],
        },
        cells=[
            new_markdown_cell(
                "# Title\n\n![dot](attachment:dot.png)\n",
                id="md-attach",
                attachments={"dot.png": {"image/png": PNG}},
            ),
            new_raw_cell("\\begin{raw}\n", id="raw", metadata={"format": "text/latex"}),
            new_code_cell(
                "import sys\nprint('out')\nprint('err', file=sys.stderr)\n",
                id="streams",
                execution_count=1,
                metadata={"tags": ["setup", "io"], "jupyter": {"source_hidden": False}},
                outputs=[
                    new_output("stream", name="stdout", text="out\nmore\n"),
                    new_output("stream", name="stderr", text="err\n"),
                ],
            ),
            new_code_cell(
                "show_image()",
                id="image",
                execution_count=2,
                metadata={"collapsed": False, "scrolled": "auto"},
                outputs=[
                    new_output(
                        "display_data",
                        data={"image/png": PNG, "text/plain": "<Figure size 1x1>"},
                        metadata={"image/png": {"width": 1, "height": 1}},
                    )
                ],
            ),
            new_code_cell(
                "{'a': [1, 2.5, None, True], 'b': {'c': 'd'}}",
                id="result",
                execution_count=3,
                outputs=[
                    new_output(
                        "execute_result",
                        execution_count=3,
                        data={
                            "text/plain": "{'a': [1, 2.5, None, True],\n 'b': {'c': 'd'}}",
                            "text/html": "<table>\n<tr><td>1</td></tr>\n</table>",
                            "application/json": {"a": [1, 2.5, None, True], "b": {"c": "d"}},
                        },
                        metadata={"application/json": {"expanded": False}},
                    )
                ],
            ),
            new_code_cell(
                "1 / 0",
                id="error",
                execution_count=4,
                outputs=[
                    new_output(
                        "error",
                        ename="ZeroDivisionError",
                        evalue="division by zero",
                        traceback=["\x1b[0;31mZeroDivisionError\x1b[0m", "division by zero"],
                    )
                ],
            ),
            new_code_cell("", id="empty"),
            new_markdown_cell("", id="empty-md"),
        ],
    )


def _unicode() -> Any:
    text = "naïve café — 日本語 — emoji 😀👩‍👩‍👧 — RTL עברית\n\ttabs\r\nCRLF line\n"
    return new_notebook(
        metadata={"kernelspec": KERNELSPEC, "title": "ünïcödé ✓"},
        cells=[
            new_markdown_cell(text, id="u-md"),
            new_code_cell(
                f"print({text!r})",
                id="u-code",
                execution_count=7,
                outputs=[new_output("stream", name="stdout", text=text)],
            ),
        ],
    )


def _long() -> Any:
    cells: list[Any] = []
    for index in range(60):
        if index % 3 == 0:
            cells.append(
                new_markdown_cell(f"## Step {index}\n\nExplain step {index}.", id=f"m{index}")
            )
        else:
            cells.append(
                new_code_cell(
                    f"value_{index} = {index} * 2\nvalue_{index}",
                    id=f"c{index}",
                    execution_count=index,
                    outputs=[
                        new_output(
                            "execute_result",
                            execution_count=index,
                            data={"text/plain": str(index * 2)},
                        )
                    ],
                )
            )
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def _bare() -> Any:
    # No kernelspec, no language_info: the round trip must not invent them.
    return new_notebook(cells=[new_code_cell("x = 1", id="only")], metadata={})


def _empty() -> Any:
    return new_notebook(cells=[], metadata={"kernelspec": KERNELSPEC})


GENERATED: dict[str, Any] = {
    "everything.ipynb": _everything(),
    "unicode.ipynb": _unicode(),
    "long.ipynb": _long(),
    "bare.ipynb": _bare(),
    "empty.ipynb": _empty(),
}


def write_generated(directory: Path, name: str) -> Path:
    """Write one generated notebook the way JupyterLab would (nbformat.writes + newline)."""
    path = directory / name
    path.write_text(nbformat.writes(GENERATED[name]) + "\n", encoding="utf-8")
    return path


def write_json(path: Path, data: Any, **dumps: Any) -> Path:
    path.write_text(json.dumps(data, **dumps), encoding="utf-8")
    return path


def corpus_path(directory: Path, name: str) -> Path:
    """The path of an example, or of a generated notebook written into `directory`."""
    if name in GENERATED:
        return write_generated(directory, name)
    return EXAMPLES / name


CORPUS = EXAMPLE_NAMES + sorted(GENERATED)


def plain_v44(notebook_id_count: int = 3) -> dict[str, Any]:
    """An nbformat 4.4 notebook: no cell ids, as files written before 2021 are."""
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": [f"x = {index}\n", "x"],
            }
            for index in range(notebook_id_count)
        ],
        "metadata": {"kernelspec": KERNELSPEC},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
