"""Warming the notebook machinery up before the first room needs it."""

from __future__ import annotations

import importlib
from typing import Any

from pycrdt import Doc

from pairbook.notebook.history import base_history_of
from pairbook.notebook.ipynb import new_notebook, parse_notebook, serialize_notebook
from pairbook.notebook.schemafit import warm_up_validators
from pairbook.notebook.ynotebook import ydoc_to_notebook

_OUTPUTS: list[dict[str, Any]] = [
    {"output_type": "stream", "name": "stdout", "text": "2\n"},
    {
        "output_type": "display_data",
        "data": {"text/plain": "<Figure>", "image/png": "iVBORw0KGgo="},
        "metadata": {},
    },
    {
        "output_type": "execute_result",
        "execution_count": 1,
        "data": {"text/plain": "2"},
        "metadata": {},
    },
    {"output_type": "error", "ename": "E", "evalue": "e", "traceback": ["e"]},
]


def warm_up() -> None:
    """Read, validate, build the base history of, and write back a small notebook once.

    Otherwise the first notebook a server process reads pays, on the way to its first
    join, for nbformat building its schema validator and for the lazy imports of the
    notebook machinery (a few hundred ms: `bench/fanout`'s cold join). A server runs this
    in a worker thread as it starts; it touches no file and no shared state."""
    # A pycrdt Doc holds an anyio lock: the first one made on an event loop (the room's
    # own Doc, on the first join) imports anyio's asyncio backend, 50-100 ms. Imported here.
    importlib.import_module("anyio._backends._asyncio")
    warm_up_validators()
    nb = new_notebook()
    cell = nb["cells"][0]
    cell.update(source="1 + 1", execution_count=1, outputs=_OUTPUTS)
    nb["cells"].append({"cell_type": "markdown", "id": "warm-up-md", "metadata": {},
                        "source": "# warm"})  # fmt: skip
    parsed = parse_notebook(serialize_notebook(nb), name="warm-up", salt="warm-up")
    doc: Doc[Any] = Doc()
    doc.apply_update(base_history_of(parsed).update)
    serialize_notebook(ydoc_to_notebook(doc))
