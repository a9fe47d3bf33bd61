"""Issue #12, part "kernel", in a real browser: who ran a cell comes only from the server's
`executions` map, never from the cell's (editable) `metadata.pairbook.last_run`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

pytest.importorskip("playwright", reason="the browser tests need the `playwright` Python package")

from playwright.async_api import Browser, expect
from pycrdt import Array, Doc

from support.browser import NotebookTab, chromium
from support.client import YClient
from support.server import ServerProcess

pytestmark = [pytest.mark.security, pytest.mark.browser]


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


def forged_run(cell_id: str, run_id: str) -> dict[str, Any]:
    return {
        "last_run": {
            "id": run_id,
            "cell_id": cell_id,
            "user": {"id": "u-ceo", "name": "Mallory the CEO", "color": "#ff0000"},
            "status": "ok",
            "queued_at": 4_000_000_000.0,
            "started_at": 4_000_000_000.0,
            "finished_at": 4_000_000_001.0,
            "execution_count": 99,
            "source_hash": None,
        }
    }


async def test_a_forged_last_run_is_never_shown_as_who_ran_a_cell(
    server: ServerProcess, browser: Browser
) -> None:
    eve_token, _ = server.join("editor", "Eve")
    async with YClient(server.ws_url("demo.ipynb", eve_token)) as eve:
        reply = await eve.command("run", cells=["code-1"])
        assert reply["ok"], reply
        real = reply["result"]["queued"][0]
        await eve.wait_until(
            lambda: eve.map("executions").get(real, {}).get("status") in ("ok", "error"),
            timeout=60,
        )

        def forge(doc: Doc[Any]) -> None:
            cells: Array[Any] = doc.get("cells", type=Array)
            # a run nobody made, and a real run of another cell claimed for someone else
            cells[1]["metadata"]["pairbook"] = forged_run("code-0", "forged-run")
            cells[2]["metadata"]["pairbook"] = forged_run("code-1", real)

        await eve.edit(forge)
        tab = await NotebookTab.open(browser, server, "demo.ipynb")
        try:
            await expect(tab.cell(2).locator(".run-badge")).to_contain_text("run by Eve")
            await expect(tab.cell(1).locator(".cell-run")).to_be_hidden()
            assert "Mallory" not in await tab.page.locator("body").inner_text()
            await tab.cell(2).locator(".run-badge").click()  # the history, too
            await expect(tab.cell(2).locator(".run-list-item")).to_have_count(1)
            await expect(tab.cell(2).locator(".run-list-item")).to_contain_text("Eve")
            assert tab.errors == []
        finally:
            await tab.close()
