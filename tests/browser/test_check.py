"""The Check button runs `pairbook check` on the server; everyone sees the verdict in the
header and can open the report; a viewer has no Check button."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

CHECK = 240_000
"""Milliseconds: a cold environment is built with uv before the kernel starts."""
BUTTON = "Check the notebook in a fresh environment"


async def test_the_check_button_shows_everyone_the_verdict_and_the_report(
    browser: Browser, server: ServerProcess
) -> None:
    name = "check-button.ipynb"
    write_notebook(server.root / name, ["x = 1\nprint(x)", "y = x + 1\ny"])
    ada = await NotebookTab.open(browser, server, name)
    vera = await NotebookTab.open(
        browser, server, name, token=invite(server, "viewer"), join_as="Vera"
    )
    assert await vera.page.get_by_role("button", name=BUTTON).count() == 0
    await (await ada.tool(BUTTON)).click()
    for tab in (ada, vera):
        verdict = tab.page.locator(".topbar .check-verdict")
        await expect(verdict).to_have_text("✓ Check passed", timeout=CHECK)
    await vera.page.locator(".topbar .check-verdict").click()
    report = vera.page.get_by_role("dialog")
    await expect(report).to_contain_text("Check report")
    await expect(report.locator(".check-row")).to_have_count(2)
    await expect(report.locator(".check-row.passed")).to_have_count(2)
    await report.get_by_role("button", name="Close the report").click()
    for tab in (ada, vera):
        assert tab.errors == []
        await tab.close()


async def test_a_cell_relying_on_a_deleted_cell_fails_the_check_and_says_why(
    browser: Browser, server: ServerProcess
) -> None:
    name = "check-hidden-state.ipynb"
    # The first cell's saved output ("1") came from a `total` that no cell defines any more.
    write_notebook(server.root / name, ["print(total)", "y = 2"])
    ada = await NotebookTab.open(browser, server, name)
    await (await ada.tool(BUTTON)).click()
    verdict = ada.page.locator(".topbar .check-verdict")
    await expect(verdict).to_have_text("✗ Check failed: 1 of 2 cells", timeout=CHECK)
    await verdict.click()
    row = ada.page.get_by_role("dialog").locator(".check-row.hidden-state")
    await expect(row).to_contain_text("uses 'total', which no cell of the notebook defines")
    await row.get_by_role("button").click()  # goes to the cell
    await expect(ada.cell(1)).to_have_class(re.compile(r"\bactive\b"), timeout=5_000)
    assert ada.errors == []
    await ada.close()
