"""The notebook file the relay measurement opens."""

from __future__ import annotations

import json
from pathlib import Path


def write_bench_notebook(path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "# bench"},
        *(
            {
                "cell_type": "code",
                "id": f"code-{i}",
                "metadata": {},
                "source": f"x{i} = {i}",
                "outputs": [],
                "execution_count": None,
            }
            for i in range(3)
        ),
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook))
