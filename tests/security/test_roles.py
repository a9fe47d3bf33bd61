"""Roles in a mob, against a real server and a real kernel: who may stop a run or the
kernel (the driver, the owner, and whoever's run is running; a navigator is refused)."""

from __future__ import annotations

from typing import Any

import pytest

from support.client import YClient
from support.server import ServerProcess

pytestmark = pytest.mark.security

SLEEP = "import time\ntime.sleep(300)"


async def ok(client: YClient, command: str, **args: Any) -> dict[str, Any]:
    reply = await client.command(command, **args)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


async def refused(client: YClient, command: str, **args: Any) -> str:
    reply = await client.command(command, **args)
    assert not reply["ok"], reply
    return str(reply["error"])


async def drives(client: YClient, user: str) -> None:
    await client.wait_until(lambda: client.map("mob").get("driver") == user, timeout=20)


async def start_sleeping(client: YClient) -> str:
    """Run a cell that sleeps; once it runs, the run's id."""
    await client.set_source(1, SLEEP)
    execution = str((await ok(client, "run", cells=["code-0"]))["queued"][0])
    await client.wait_until(
        lambda: (client.map("kernel").get("current") or {}).get("id") == execution, timeout=60
    )
    return execution


async def ends(client: YClient, execution: str, status: str) -> None:
    await client.wait_until(
        lambda: (client.map("executions").get(execution) or {}).get("status") == status,
        timeout=60,
    )


async def test_in_mob_mode_a_navigator_cannot_stop_the_drivers_run(server: ServerProcess) -> None:
    bo_token, bo_id = server.join("editor", "Bo")
    cy_token, cy_id = server.join("editor", "Cy")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
        YClient(server.ws_url("demo.ipynb", cy_token)) as cy,
    ):
        await ok(ana, "mob-mode", mode="mob")
        await ok(ana, "mob-handover")
        await drives(bo, bo_id)
        execution = await start_sleeping(bo)

        # Cy navigates: Bo's run and the kernel are not theirs to stop.
        assert await refused(cy, "interrupt") == (
            "mob mode: only the driver (Bo), the owner or whoever started the run can interrupt it"
        )
        assert await refused(cy, "restart") == (
            "mob mode: only the driver (Bo) or the owner can restart the kernel"
        )
        assert await refused(cy, "shutdown") == (
            "mob mode: only the driver (Bo) or the owner can shut the kernel down"
        )
        assert (bo.map("executions")[execution])["status"] == "running"

        # The keyboard passes on to Cy; Bo, navigating now, may still stop his own run,
        # but not the kernel everyone shares.
        await ok(ana, "mob-handover")
        await drives(bo, cy_id)
        assert "or the owner can restart the kernel" in await refused(bo, "restart")
        assert (await ok(bo, "interrupt"))["interrupted"] == execution
        await ends(bo, execution, "interrupted")

        # The owner, not driving, stops the driver's run and restarts the kernel.
        second = await start_sleeping(cy)
        assert "can interrupt it" in await refused(bo, "interrupt")
        assert (await ok(ana, "interrupt"))["interrupted"] == second
        await ends(ana, second, "interrupted")
        assert (await ok(ana, "restart"))["restarted"] is True


async def test_in_pair_mode_any_editor_stops_anyones_run(server: ServerProcess) -> None:
    bo_token, _ = server.join("editor", "Bo")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
    ):
        execution = await start_sleeping(ana)
        assert (await ok(bo, "interrupt"))["interrupted"] == execution
        await ends(bo, execution, "interrupted")
        assert (await ok(bo, "restart"))["restarted"] is True
