"""One owner per room across two real `pairbook serve` processes (one PostgreSQL log, one
Redis): a run asked for on B executes on the owner A and B's peers see it attributed; the
owner re-checks roles; when the owner dies (kill -9) B takes the room over and says the
kernel stopped."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import AuthMessage, decode_message, encode_sync_update
from support.client import RawPeer, YClient
from support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

WHERE = "import os\nprint(os.environ.get('PROCESS_NAME'))"
"""A cell printing which process its kernel runs under (a or b)."""


def printed(client: YClient, index: int) -> str:
    return "".join(str(o.get("text", "")) for o in _outputs(client, index))


def _outputs(client: YClient, index: int) -> list[dict[str, Any]]:
    return [o.to_py() if hasattr(o, "to_py") else o for o in client.cells[index]["outputs"]]


def last_run(client: YClient, cell_id: str) -> dict[str, Any] | None:
    runs = [r for r in client.map("executions").values() if r["cell_id"] == cell_id]
    return max(runs, key=lambda r: r["queued_at"]) if runs else None


async def run_where(client: YClient, editor: YClient) -> str:
    """Set the cell at index 1 (code-0) to WHERE, run it from `client`, say where it ran."""
    await editor.set_source(1, WHERE)
    await client.wait_until(lambda: client.source(1) == WHERE)
    reply = await client.command("run", cells=[str(client.cells[1]["id"])])
    assert reply["ok"], reply
    await client.wait_until(lambda: printed(client, 1).strip() in ("a", "b"), timeout=60)
    return printed(client, 1).strip()


async def test_a_run_asked_on_b_runs_on_the_owner_a_and_b_sees_it_attributed(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    bo, _ = b.join("editor", "Bo")
    # A opens the room first: A owns it.
    async with (
        YClient(a.ws_url("demo.ipynb")) as ana,
        YClient(b.ws_url("demo.ipynb", bo)) as on_b,
    ):
        assert await run_where(on_b, on_b) == "a"
        await on_b.wait_until(lambda: (last_run(on_b, "code-0") or {}).get("status") == "ok")
        run = last_run(on_b, "code-0")
        assert run is not None
        assert run["user"]["name"] == "Bo"
        await ana.wait_until(lambda: printed(ana, 1).strip() == "a")
        # B runs no kernel of the room: its requirements.txt is what A's kernel last wrote
        # into the document (B answered 500 before: it has no kernel service for the room).
        status, text = b.request("GET", "/api/requirements/demo.ipynb", token=bo)
        assert status == 200, text
        assert str(text).startswith("# Packages the kernel of demo.ipynb had imported")
        assert "not running" not in str(text)  # the document shows A's kernel running


async def test_the_owner_refuses_a_viewer_on_another_process(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    vi, _ = b.join("viewer", "Vi")
    async with (
        YClient(a.ws_url("demo.ipynb")),
        YClient(b.ws_url("demo.ipynb", vi)) as viewer,
    ):
        reply = await viewer.command("run", cells=["code-0"])
        assert reply["ok"] is False
        assert "viewers" in reply["error"]
        assert last_run(viewer, "code-0") is None


async def test_when_the_owner_is_killed_b_takes_the_room_and_says_the_kernel_stopped(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    async with (
        YClient(a.ws_url("demo.ipynb")) as ana,
        YClient(b.ws_url("demo.ipynb")) as on_b,
        RawPeer(b.ws_url("demo.ipynb")) as watcher,
    ):
        assert await run_where(on_b, ana) == "a"
        await on_b.wait_until(lambda: on_b.map("kernel").get("status") == "idle")
        a.kill()
        # B takes the lease once A's runs out; its peers are told to reconnect.
        code, reason = await watcher.closed_with(timeout=30)
    assert code == CloseCode.GOING_AWAY, reason
    assert "moved" in reason
    async with YClient(b.ws_url("demo.ipynb")) as on_b:
        await on_b.wait_until(lambda: on_b.map("kernel").get("status") == "stopped", 30)
        assert on_b.map("kernel")["stopped"]["reason"] == "moved"
        assert await run_where(on_b, on_b) == "b"


async def denial(peer: RawPeer) -> str:
    while True:
        message = decode_message(await peer.recv())
        if isinstance(message, AuthMessage):
            return message.reason


async def test_mob_rules_hold_for_a_navigator_on_another_process(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    bo_token, _ = b.join("editor", "Bo")
    async with (
        YClient(a.ws_url("demo.ipynb")) as ana,  # A opens the room first: A owns it
        YClient(b.ws_url("demo.ipynb", bo_token)) as bo,
    ):
        mode = await ana.command("mob-mode", mode="mob")
        assert mode["ok"], mode
        await bo.wait_until(lambda: bo.map("mob").get("mode") == "mob")
        async with RawPeer(b.ws_url("demo.ipynb", bo_token)) as raw:  # B's own edit gate
            sneaky: Doc[Any] = Doc()
            cells: Array[Map[Any]] = Array()
            sneaky["cells"] = cells
            cells.append(Map({"id": "sneaky", "cell_type": "code", "source": Text("oops")}))
            await raw.send(encode_sync_update(sneaky.get_update()))
            assert "mob mode" in await denial(raw)
        run = await bo.command("run", cells=["code-0"])  # the owner's driver gate
        assert run["ok"] is False
        assert "only the driver (Owner) runs cells" in run["error"]
        await ana.set_source(1, "x = 42")
        await bo.wait_until(lambda: bo.source(1) == "x = 42")
    async with YClient(b.ws_url("demo.ipynb")) as fresh:
        assert [str(c["id"]) for c in fresh.cells] == ["intro", "code-0", "code-1"]
        assert fresh.map("executions") == {}


async def test_a_rolling_restart_moves_the_room_and_loses_nothing(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    async with (
        YClient(a.ws_url("demo.ipynb")) as ana,
        YClient(b.ws_url("demo.ipynb")) as on_b,
        RawPeer(a.ws_url("demo.ipynb")) as on_a,
        RawPeer(b.ws_url("demo.ipynb")) as also_b,
    ):
        assert await run_where(on_b, ana) == "a"
        await ana.set_source(2, "typed on A before its restart")
        await on_b.wait_until(lambda: on_b.source(2) == "typed on A before its restart")
        assert a.proc is not None
        os.killpg(a.proc.pid, signal.SIGTERM)
        code_a, _ = await on_a.closed_with(timeout=30)
        # A hands the lease over as it stops: B takes the room at once and reopens it.
        code_b, reason = await also_b.closed_with(timeout=30)
    assert code_a == CloseCode.GOING_AWAY
    assert code_b == CloseCode.GOING_AWAY, reason
    assert a.proc.wait(30) == 0
    async with YClient(b.ws_url("demo.ipynb")) as again:
        assert again.source(2) == "typed on A before its restart"
        assert await run_where(again, again) == "b"
