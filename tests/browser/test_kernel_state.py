"""The kernel-state panel from the browser: one person defines a variable, the other sees it
with that person's name on it, and the warnings show on the cells."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""


async def test_b_sees_the_variable_a_just_defined_with_a_s_name(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    ada = await NotebookTab.open(browser, server, notebook, token=invite(server, "editor"),
                                 join_as="Ada")  # fmt: skip
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    # Ada defines a variable in the first code cell and runs it.
    await ada.edit_end(1)
    await ada.page.keyboard.type("\nanswer = 42")
    await ada.page.keyboard.press("Control+Enter")
    row = bob.page.locator(".state-table tr[data-name='answer']")
    await expect(row).to_be_visible(timeout=KERNEL_START)
    await expect(row.locator(".var-type")).to_have_text("int")
    await expect(row.locator(".var-summary")).to_contain_text("42")
    await expect(row.locator(".var-defined")).to_contain_text("cell 2 · Ada")

    # Bob runs the second cell, then Ada changes x and re-runs her cell: Bob's is stale.
    await bob.cell(2).hover()
    await bob.cell(2).get_by_role("button", name="Run cell").click()
    await expect(ada.page.locator(".state-table tr[data-name='y']")).to_be_visible(
        timeout=KERNEL_START
    )
    await ada.edit_end(1)
    await ada.page.keyboard.type("\nx = 100")
    await ada.page.keyboard.press("Control+Enter")
    warning = bob.cell(2).locator(".cell-warning[data-kind='stale']")
    await expect(warning).to_contain_text("x was changed in cell 2 by Ada", timeout=KERNEL_START)
    await expect(ada.cell(2).locator(".cell-warning[data-kind='stale']")).to_be_visible()

    # Clicking a name jumps to the cell that defined it.
    await bob.page.locator(".state-table tr[data-name='y'] .var-name").click()
    await expect(bob.cell(2)).to_have_class("cell cell-code active")
    await bob.page.locator(".state-panel").screenshot(
        path=str(screenshots / "kernel-state-panel.png")
    )
    await bob.screenshot(screenshots / "kernel-state.png")
    for tab in (ada, bob):
        await tab.close()
