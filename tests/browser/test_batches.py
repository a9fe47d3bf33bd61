"""Run all in the browser stops at the first error: the cells after it are shown cancelled,
never ran, and the page says why — to the owner, an editor and a viewer alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""

SOURCES = [
    "marks = []\nmarks.append('first')\nprint('first ran')",
    "marks.append('second')\nraise ValueError('the second cell fails')",
    "marks.append('third')\nprint('third ran')",
    "marks.append('fourth')\nprint('fourth ran')",
    "print('marks:', marks)",
]
REASON = "cancelled: an earlier cell in this batch failed: cell 3"


async def test_run_all_stops_at_the_error_and_the_cells_after_it_are_cancelled(
    browser: Browser, server: ServerProcess
) -> None:
    name = "run-all-stops-at-an-error.ipynb"
    write_notebook(server.root / name, SOURCES)
    ada, bob = await NotebookTab.pair(browser, server, name)
    vera = await NotebookTab.open(
        browser, server, name, token=invite(server, "viewer"), join_as="Vera"
    )
    await ada.page.get_by_role("button", name="Run all cells", exact=True).click()
    # Bob's own run of the last cell is not part of Ada's batch: it runs whatever happens
    # to hers, and shows what the kernel holds afterwards.
    await bob.cell(5).hover()
    await bob.cell(5).get_by_role("button", name="Run cell").click()
    for tab in (ada, bob, vera):
        await expect(tab.cell(5).locator(".cell-outputs")).to_contain_text(
            "marks: ['first', 'second']", timeout=KERNEL_START
        )
        await expect(tab.cell(1).locator(".cell-outputs")).to_contain_text("first ran")
        await expect(tab.cell(2).locator(".cell-outputs")).to_contain_text("ValueError")
        await expect(tab.cell(2).locator(".run-badge")).to_contain_text("error")
        for index in (3, 4):
            # Never ran: no output (not even the file's earlier one), the badge says why.
            await expect(tab.cell(index).locator(".run-badge")).to_contain_text(REASON)
            await expect(tab.cell(index).locator(".cell-outputs")).not_to_contain_text("ran")
        await expect(tab.cell(5).locator(".run-badge")).to_contain_text("run by Bob")
        note = tab.page.locator(".kernel-stopped")
        await expect(note).to_contain_text("batch stopped at cell 3 (ValueError)")
        await expect(note).to_contain_text("3 later cells cancelled, not run")
    # The person whose batch stopped is told at once.
    await expect(ada.page.locator(".toast")).to_contain_text("Your batch stopped at cell 3")
    await expect(bob.page.locator(".toast")).to_have_count(0)
    # The cell's runs say why it never ran, and why the one before failed.
    await ada.cell(3).locator(".run-badge").click()
    await expect(ada.cell(3).locator(".run-list-item")).to_contain_text(
        "cancelled · just now · an earlier cell in this batch failed: cell 3"
    )
    await ada.cell(2).locator(".run-badge").click()
    await expect(ada.cell(2).locator(".run-list-item")).to_contain_text("error · [2]")
    await expect(ada.cell(2).locator(".run-list-item")).to_contain_text("ValueError")
    for width in (1280, 1920):
        await ada.page.set_viewport_size({"width": width, "height": 900})
        await ada.screenshot(Path(f"/work/notes/shots/batches-run-all-stopped-{width}.png"))
    for tab in (ada, bob, vera):
        assert tab.errors == []
        await tab.close()


async def test_an_interrupt_stops_the_batch_and_another_persons_queued_run_runs_in_view(
    browser: Browser, server: ServerProcess
) -> None:
    name = "interrupt-stops-the-batch.ipynb"
    loop = "import time\nprint('sleeping', flush=True)\nfor i in range(600):\n    time.sleep(0.1)"
    write_notebook(server.root / name, [loop, "print('after the loop')", "print('bob ran')"])
    ada, bob = await NotebookTab.pair(browser, server, name)
    await ada.cell(1).click()
    await (await ada.tool("Run the selected cell and all cells below")).click()
    await expect(bob.cell(1).locator(".cell-outputs")).to_contain_text(
        "sleeping", timeout=KERNEL_START
    )
    # Bob queues his own run behind Ada's batch: everyone sees it queued, as hers are.
    await bob.cell(3).hover()
    await bob.cell(3).get_by_role("button", name="Run cell").click()
    for tab in (ada, bob):
        await expect(tab.page.locator(".kernel-queue")).to_contain_text("queued by Bob")
        await expect(tab.cell(2).locator(".run-badge")).to_contain_text("queued by")
    await bob.page.get_by_role("button", name="Interrupt the kernel").click()
    for tab in (ada, bob):
        await expect(tab.cell(1).locator(".run-badge")).to_contain_text("interrupted")
        await expect(tab.cell(2).locator(".run-badge")).to_contain_text(
            "cancelled: an earlier cell in this batch was interrupted: cell 2"
        )
        await expect(tab.cell(3).locator(".cell-outputs")).to_contain_text("bob ran")
        await expect(tab.cell(3).locator(".run-badge")).to_contain_text("run by Bob")
        await expect(tab.page.locator(".kernel-stopped")).to_contain_text(
            "batch stopped at cell 2 (interrupted): 2 later cells cancelled, not run"
            " · 1 other queued run not affected"
        )
        await expect(tab.page.locator(".kernel-event")).to_contain_text("interrupted by Bob")
    await expect(ada.cell(2).locator(".cell-outputs")).not_to_contain_text("after the loop")
    await ada.page.set_viewport_size({"width": 1280, "height": 900})
    await ada.page.locator(".kernel-panel").screenshot(
        path="/work/notes/shots/batches-interrupted-kernel-panel-1280.png"
    )
    for tab in (ada, bob):
        assert tab.errors == []
        await tab.close()


async def test_runs_a_restart_drops_from_the_queue_say_who_restarted_the_kernel(
    browser: Browser, server: ServerProcess
) -> None:
    name = "restart-cancels-the-queue.ipynb"
    loop = "import time\nprint('sleeping', flush=True)\nfor i in range(600):\n    time.sleep(0.1)"
    write_notebook(server.root / name, [loop, "print('bob ran')"])
    ada, bob = await NotebookTab.pair(browser, server, name)
    vera = await NotebookTab.open(
        browser, server, name, token=invite(server, "viewer"), join_as="Vera"
    )
    await ada.cell(1).hover()
    await ada.cell(1).get_by_role("button", name="Run cell").click()
    await expect(bob.cell(1).locator(".cell-outputs")).to_contain_text(
        "sleeping", timeout=KERNEL_START
    )
    await bob.cell(2).hover()
    await bob.cell(2).get_by_role("button", name="Run cell").click()
    await expect(ada.cell(2).locator(".run-badge")).to_contain_text("queued by Bob")
    await ada.page.get_by_role("button", name="Restart the kernel", exact=True).click()
    dialog = ada.page.get_by_role("dialog", name="Restart the kernel?")
    await dialog.get_by_role("button", name="Restart the kernel for everyone").click()
    for tab in (ada, bob, vera):
        # Bob's run never ran, and its badge says why, not just "cancelled".
        await expect(tab.cell(2).locator(".run-badge")).to_contain_text(
            "queued by Bob · cancelled: the kernel was restarted by Owner", timeout=KERNEL_START
        )
        await expect(tab.cell(2).locator(".cell-outputs")).not_to_contain_text("bob ran")
        await expect(tab.page.locator(".kernel-event")).to_contain_text("restarted by Owner")
    await bob.cell(2).locator(".run-badge").click()
    await expect(bob.cell(2).locator(".run-list-item")).to_contain_text(
        "cancelled · just now · the kernel was restarted by Owner"
    )
    for tab in (ada, bob, vera):
        assert tab.errors == []
        await tab.close()
