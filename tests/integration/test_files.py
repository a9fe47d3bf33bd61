"""The .ipynb on disk: autosaved, byte-stable, and never clobbered by or clobbering others."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from support.client import YClient
from support.notebooks import read_sources
from support.server import ServerProcess

pytestmark = pytest.mark.integration


def edit_on_disk(path: Path, index: int, source: str) -> None:
    notebook = json.loads(path.read_text())
    notebook["cells"][index]["source"] = source
    path.write_text(json.dumps(notebook, indent=1) + "\n")


async def wait_for_file(path: Path, index: int, source: str, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while read_sources(path)[index] != source:  # noqa: ASYNC110 - another process writes it
            await asyncio.sleep(0.05)  # polling a file another process writes


async def test_an_untouched_notebook_is_not_rewritten(workdir: Path, store_path: str) -> None:
    path = workdir / "demo.ipynb"
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with ServerProcess(workdir, store=store_path) as server:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            assert len(client.cells) == 3
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


async def test_an_edit_reaches_the_file_after_a_quiet_moment(server: ServerProcess) -> None:
    path = server.root / "demo.ipynb"
    async with YClient(server.ws_url("demo.ipynb")) as client:
        client.type_into(2, 0, "# autosaved\n")
        await wait_for_file(path, 2, "# autosaved\ny = x + 1\ny")


async def test_a_file_changed_on_disk_is_loaded_into_the_room_as_an_edit(
    workdir: Path, store_path: str
) -> None:
    args = ("--autosave-delay", "0.1")
    with ServerProcess(workdir, store=store_path, args=args) as server:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            edit_on_disk(workdir / "demo.ipynb", 2, "changed = 'by git pull'")
            await client.wait_until(lambda: client.source(2) == "changed = 'by git pull'")
            assert len(client.cells) == 3


async def test_a_file_changed_while_the_room_has_unsaved_edits_is_a_conflict_not_a_loss(
    workdir: Path, store_path: str
) -> None:
    path = workdir / "demo.ipynb"
    with ServerProcess(workdir, store=store_path, args=("--autosave-delay", "60")) as server:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            client.type_into(1, 0, "# room edit\n")
            async with YClient(server.ws_url("demo.ipynb")) as check:
                await check.wait_until(lambda: check.source(1).startswith("# room edit"))
            edit_on_disk(path, 2, "disk = True")
            async with asyncio.timeout(10):
                while True:
                    _, body = server.get("/api/notebooks")
                    entry = body["notebooks"][0]  # type: ignore[index]
                    if entry.get("conflict"):
                        break
                    await asyncio.sleep(0.1)  # the server polls the file every 2 s
            assert "unsaved edits" in entry["conflict"]
            assert read_sources(path)[2] == "disk = True"  # not clobbered
            assert client.source(1).startswith("# room edit")  # not lost
            status, _ = server.request(
                "POST", "/api/notebooks/demo.ipynb/resolve", {"keep": "room"}
            )
            assert status == 200
            assert read_sources(path)[1] == "# room edit\nx = 1\nprint(x)"


async def test_a_file_edited_while_the_server_was_down_is_picked_up_on_load(
    workdir: Path, store_path: str
) -> None:
    path = workdir / "demo.ipynb"
    server = ServerProcess(workdir, store=store_path).start()
    async with YClient(server.ws_url("demo.ipynb")) as client:
        client.type_into(1, 0, "# before\n")
        await wait_for_file(path, 1, "# before\nx = 1\nprint(x)")
    server.stop()
    edit_on_disk(path, 2, "offline = 'edit'")
    with ServerProcess(workdir, store=store_path, port=server.port):
        async with YClient(server.ws_url("demo.ipynb")) as client:
            assert client.sources()[1:] == ["# before\nx = 1\nprint(x)", "offline = 'edit'"]
