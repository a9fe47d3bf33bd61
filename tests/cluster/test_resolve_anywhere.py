"""A notebook file's conflict is resolved from any process: the one keeping the file (the
files lease's holder) does it, and a `POST …/resolve` made to another process is forwarded
there, as a command travels to a room's owner. Two real `pairbook serve` processes on one
folder, the machine's Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from support.client import YClient
from support.notebooks import read_sources
from support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

RESOLVE = "/api/notebooks/demo.ipynb/resolve"


def edit_on_disk(path: Path, source: str) -> None:
    notebook = json.loads(path.read_text())
    notebook["cells"][2]["source"] = source
    path.write_text(json.dumps(notebook, indent=1) + "\n")


async def conflict_on(server: ServerProcess) -> str:
    """The conflict the notebook list of `server` shows (the file's keeper polls the file
    every 2 s: a bound on a hang, not a measured time)."""
    async with asyncio.timeout(20):
        while True:
            _, body = server.get("/api/notebooks")
            conflict = body["notebooks"][0].get("conflict")  # type: ignore[index]
            if conflict:
                return str(conflict)
            await asyncio.sleep(0.1)  # another process polls the file


@pytest.mark.parametrize("keep", ["room", "disk"])
async def test_a_conflict_is_resolved_from_the_process_that_does_not_keep_the_file(
    slow_savers: tuple[ServerProcess, ServerProcess], keep: str
) -> None:
    a, b = slow_savers
    path = a.root / "demo.ipynb"
    async with YClient(a.ws_url("demo.ipynb")) as ana:  # A opens the room: A keeps the file
        await ana.wait_until(lambda: len(ana.cells) == 3)
        async with YClient(b.ws_url("demo.ipynb")) as bob:
            bob.type_into(1, 0, "# room edit\n")
            await ana.wait_until(lambda: ana.source(1).startswith("# room edit"))
            edit_on_disk(path, "disk = True")
            assert "unsaved edits" in await conflict_on(a)
            status, body = b.request("POST", RESOLVE, {"keep": keep})
            assert (status, body) == (200, {"resolved": keep}), b.log()
            if keep == "room":
                assert read_sources(path)[1:] == ["# room edit\nx = 1\nprint(x)", "y = x + 1\ny"]
            else:
                await bob.wait_until(lambda: bob.source(2) == "disk = True")
                assert read_sources(path)[2] == "disk = True"
            _, listed = a.get("/api/notebooks")
            assert listed["notebooks"][0]["conflict"] is None  # type: ignore[index]
    _, metrics = a.get("/metrics")  # the keeper answered the one command B forwarded
    assert "pairbook_forwarded_answering 0.0" in str(metrics)
    assert "pairbook_forwarded_refused_total 0.0" in str(metrics)


async def test_a_members_websocket_cannot_resolve_a_conflict_through_the_owner(
    slow_savers: tuple[ServerProcess, ServerProcess],
) -> None:
    # resolve-file is one process's request to another, not a room command: a member who
    # sends it on a websocket (to the owner, or to another process) is refused as for any
    # unknown command. It used to reach the owner's forwarded-request runner, on the owner
    # too (a command of no service goes that way), which resolved the conflict.
    a, b = slow_savers
    async with YClient(a.ws_url("demo.ipynb")) as ana:  # A opens the room: A owns it
        await ana.wait_until(lambda: len(ana.cells) == 3)
        async with YClient(b.ws_url("demo.ipynb")) as bob:
            bob.type_into(1, 0, "# room edit\n")
            await ana.wait_until(lambda: ana.source(1).startswith("# room edit"))
            edit_on_disk(a.root / "demo.ipynb", "disk = True")
            conflict = await conflict_on(a)
            on_owner = await ana.command("resolve-file", keep="disk")
            elsewhere = await bob.command("resolve-file", keep="disk")
            assert (on_owner["ok"], elsewhere["ok"]) == (False, False), (on_owner, elsewhere)
            assert elsewhere["error"] == on_owner["error"] == "unknown command 'resolve-file'"
            _, listed = a.get("/api/notebooks")
            assert listed["notebooks"][0]["conflict"] == conflict  # type: ignore[index]
