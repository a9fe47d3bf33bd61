"""A stock y-websocket navigator that keeps typing in mob mode corrupts nothing."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from support.client import YClient
from support.server import REPO, ServerProcess

pytestmark = pytest.mark.interop

NAVIGATOR = Path(__file__).with_name("mob_navigator.mjs")
NODE = shutil.which("node") or "node"


async def test_a_stock_navigator_typing_on_is_refused_and_the_drivers_work_is_intact(
    server: ServerProcess,
) -> None:
    node_token, _ = server.join("editor", "Node")
    async with YClient(server.ws_url("demo.ipynb")) as driver:
        reply = await driver.command("mob-mode", mode="mob")
        assert reply["ok"], reply
        navigator = await asyncio.create_subprocess_exec(
            NODE, str(NAVIGATOR), f"ws://127.0.0.1:{server.port}/rooms", "demo.ipynb",
            node_token, "25", cwd=REPO,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        # The driver keeps working meanwhile.
        for word in ("alpha", "beta", "gamma"):
            driver.type_into(2, len(driver.source(2)), f" # {word}")
            await asyncio.sleep(0.05)  # pace the driver's edits while the stock client types
        stdout, stderr = await navigator.communicate()
        assert navigator.returncode == 0, stderr.decode()
        result: dict[str, Any] = json.loads(stdout)
        assert 4409 in result["closes"]
        assert "#stray0" in result["source"]  # its own copy has it; the room never did
        await driver.wait_until(lambda: driver.source(2).endswith("# gamma"))
    async with YClient(server.ws_url("demo.ipynb")) as fresh:
        assert fresh.sources() == [
            "# Test notebook",
            "x = 1\nprint(x)",
            "y = x + 1\ny # alpha # beta # gamma",
        ]
