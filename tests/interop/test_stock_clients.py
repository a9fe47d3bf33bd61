"""Stock npm clients (yjs, y-websocket, @jupyter/ydoc) and pycrdt sync through pairbook."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from support.client import YClient
from support.nodepeer import node_peer
from support.server import ServerProcess

pytestmark = pytest.mark.interop


async def test_a_stock_jupyter_ydoc_client_reads_the_notebook(server: ServerProcess) -> None:
    notebook = await node_peer(server.port, "read")
    cells = notebook["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "code"]
    assert [c["id"] for c in cells] == ["intro", "code-0", "code-1"]
    assert cells[1]["source"] == "x = 1\nprint(x)"
    assert cells[1]["execution_count"] == 1
    assert cells[1]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "1\n"}]


async def test_a_cell_inserted_by_a_stock_client_reaches_pycrdt(server: ServerProcess) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as python:
        notebook = await node_peer(server.port, "insert", "from_node = 42")
        assert notebook["cells"][-1]["source"] == "from_node = 42"
        await python.wait_until(lambda: "from_node = 42" in python.sources())
        assert python.sources()[-1] == "from_node = 42"
        assert str(python.cells[3]["cell_type"]) == "code"
    async with YClient(server.ws_url("demo.ipynb")) as later:
        assert later.sources()[-1] == "from_node = 42"


async def test_a_cell_inserted_from_python_reaches_a_stock_client(
    server: ServerProcess,
) -> None:
    waiting = asyncio.create_task(node_peer(server.port, "wait-for", "from_python = 7"))
    async with YClient(server.ws_url("demo.ipynb")) as python:
        python.add_code_cell("py-cell", "from_python = 7")
        notebook = await asyncio.wait_for(waiting, 20)
    sources = [cell["source"] for cell in notebook["cells"]]
    assert sources[-1] == "from_python = 7"
    assert notebook["cells"][-1]["id"] == "py-cell"


WIDGET_CELL = (
    "import ipywidgets as w\n"
    "w.VBox([w.IntSlider(value=3), w.Image(value=b'\\x89PNG\\r\\n\\x1a\\n' + bytes(64))])"
)


def binary_widgets(client: YClient) -> list[dict[str, Any]]:
    """The widget models whose state holds binary values (bytes in the shared map)."""
    return [m for m in client.map("widgets").values() if isinstance(m, dict) and m.get("buffers")]


async def test_a_stock_client_syncs_a_room_holding_shared_widgets_with_binary_values(
    server: ServerProcess,
) -> None:
    """pairbook's own top-level maps (here `widgets`, with an Image's bytes) travel to a stock
    yjs / @jupyter/ydoc peer beside the notebook, which reads it and edits it as before."""
    async with YClient(server.ws_url("demo.ipynb")) as python:
        await python.edit(lambda doc: python.add_code_cell("widgets-cell", WIDGET_CELL))
        reply = await python.command("run", cells=["widgets-cell"], timeout=90)
        assert reply["ok"], reply
        await python.wait_until(lambda: len(binary_widgets(python)) == 1, timeout=90)
        notebook = await node_peer(server.port, "insert", "after_widgets = 1")
        (cell,) = [c for c in notebook["cells"] if c["id"] == "widgets-cell"]
        (view,) = [o for o in cell["outputs"] if o["output_type"] == "execute_result"]
        assert "application/vnd.jupyter.widget-view+json" in view["data"]
        assert notebook["cells"][-1]["source"] == "after_widgets = 1"
        await python.wait_until(lambda: "after_widgets = 1" in python.sources())
        (image,) = binary_widgets(python)
        assert bytes(next(iter(image["buffers"].values()))).startswith(b"\x89PNG")
