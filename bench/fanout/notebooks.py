"""The notebooks the bench serves: the one-cell typing target, a large one, a small one."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

Notebook = dict[str, Any]

METADATA: dict[str, Any] = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def code_cell(
    cell_id: str, source: str, outputs: list[dict[str, Any]], count: int | None
) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": cell_id,
        "metadata": {},
        "source": source,
        "outputs": outputs,
        "execution_count": count,
    }


def notebook(cells: list[dict[str, Any]]) -> Notebook:
    return {"cells": cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}


def typing_notebook() -> Notebook:
    """One empty code cell: the writer types into cells[0].source."""
    return notebook([code_cell("bench-cell", "", [], None)])


def large_notebook(
    cells: int = 100, stream_chars: int = 22_000, png_bytes: int = 22_000
) -> Notebook:
    """About 5 MB: every cell printed a long log and drew a figure (base64 PNG)."""
    rng = random.Random(20251125)  # the same bytes every run
    built = []
    for i in range(cells):
        source = "\n".join(
            [
                f"frame_{i} = load_frame('part-{i:03d}.parquet')",
                f"summary_{i} = frame_{i}.describe()",
                f"for step in range({stream_chars // 40}):",
                "    print(f'step {step:5d}: loss={1 / (step + 1):.6f}')",
                f"plot(summary_{i})",
            ]
        )
        lines: list[str] = []
        written = 0
        while written < stream_chars:
            lines.append(f"step {len(lines):5d}: loss={1 / (len(lines) + 1):.6f} cell={i}\n")
            written += len(lines[-1])
        png = base64.b64encode(rng.randbytes(png_bytes)).decode("ascii")
        outputs: list[dict[str, Any]] = [
            {"output_type": "stream", "name": "stdout", "text": "".join(lines)},
            {
                "output_type": "display_data",
                "data": {"image/png": png, "text/plain": f"<Figure size 640x480 with {i} Axes>"},
                "metadata": {},
            },
        ]
        built.append(code_cell(f"cell-{i:04d}", source, outputs, i + 1))
    return notebook(built)


def small_notebook() -> Notebook:
    """Three short cells, one with a short output: a typical freshly opened notebook."""
    cells = [
        code_cell("small-1", "import math\nradius = 2.0", [], 1),
        code_cell(
            "small-2",
            "area = math.pi * radius ** 2\nprint(area)",
            [{"output_type": "stream", "name": "stdout", "text": "12.566370614359172\n"}],
            2,
        ),
        {"cell_type": "markdown", "id": "small-3", "metadata": {}, "source": "# Notes\nTo do."},
    ]
    return notebook(cells)


def write_notebook(path: Path, content: Notebook) -> int:
    """Write an .ipynb as nbformat does (indent 1); returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(content, indent=1, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))
