"""Each cell shows its place in the notebook in its margin, numbered as the page's messages
name cells ("Defined in cell 2", "stopped at cell 3"): from 1, markdown included, apart from
the execution count [n], and renumbered when a cell is inserted above."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""


async def test_each_cell_shows_the_number_messages_call_it_by(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    tab = await NotebookTab.open(browser, server, notebook)  # markdown, x = 1, y = x + 1
    numbers = tab.page.locator(".cells > .cell .cell-number")
    await expect(numbers).to_have_text(["1", "2", "3"])
    await expect(tab.cell(1)).to_have_attribute("aria-label", "Code cell 2")
    # A visible twin of that name, not a second one for a screen reader.
    await expect(tab.cell(1).locator(".cell-number")).to_have_attribute("aria-hidden", "true")

    # Cell 2 runs first: its execution count is [1], its number stays 2, and the kernel
    # state panel says x was defined in cell 2, the cell numbered 2.
    await tab.edit_end(1)
    await tab.page.keyboard.press("Control+Enter")
    await expect(tab.cell(1).locator(".cell-prompt")).to_have_text("[1]", timeout=KERNEL_START)
    await expect(tab.cell(1).locator(".cell-number")).to_have_text("2")
    defined = tab.page.locator(".state-panel tr[data-name=x] .var-defined")
    await expect(defined).to_contain_text("cell 2", timeout=KERNEL_START)
    await tab.screenshot(screenshots / "cell-numbers.png")

    # A cell inserted above the first: every cell below moves down one.
    await tab.page.keyboard.press("Escape")
    await tab.page.keyboard.press("ArrowUp")
    await tab.page.keyboard.press("a")
    await expect(numbers).to_have_text(["1", "2", "3", "4"])
    x_cell = tab.page.locator(".cells > .cell", has_text="x = 1")
    await expect(x_cell.locator(".cell-number")).to_have_text("3")
    await expect(x_cell).to_have_attribute("aria-label", "Code cell 3")
    assert tab.errors == []
    await tab.close()
