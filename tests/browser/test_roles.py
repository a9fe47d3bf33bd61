"""Roles in the browser match what the server enforces: a navigator's Interrupt is greyed
out saying why, the owner's works; a viewer's chat box is greyed out until the owner lets
viewers chat, and then their message is labelled."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.client import YClient
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds for the kernel to start and take the run (the machine may be busy)."""


async def test_a_navigator_cannot_stop_the_drivers_run_and_a_viewer_reads_the_chat(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ana, bob = await NotebookTab.pair(browser, server, notebook)
    vi = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vi"
    )
    panel = ana.page.locator(".mob-panel")
    await panel.get_by_role("button", name="Mob mode: one driver types").click()
    await expect(bob.page.locator(".mob-you")).to_contain_text("You are navigating")

    # The owner drives and runs a long cell.
    async with YClient(server.ws_url(notebook)) as owner:
        await owner.set_source(1, "import time\ntime.sleep(300)")
        assert (await owner.command("run", cells=["code-0"]))["ok"]
        stop = bob.page.locator(".kernel-panel .kernel-stop")
        await expect(stop).to_be_disabled(timeout=KERNEL_START)
        await expect(stop).to_have_attribute(
            "title",
            re.compile(r"only the driver \(.+\), the owner or whoever started the run"),
        )
        await expect(vi.page.locator(".kernel-panel .kernel-run")).to_have_count(1)
        await expect(vi.page.locator(".kernel-panel .kernel-stop")).to_have_count(0)
        await ana.page.locator(".kernel-panel .kernel-stop").click()
        await owner.wait_until(
            lambda: any(r["status"] == "interrupted" for r in owner.map("executions").values()),
            timeout=60,
        )

    chat = vi.page.locator(".mob-chat-input")
    await expect(chat).to_be_disabled()
    await expect(chat).to_have_attribute("title", re.compile("Viewers read the chat"))
    await panel.get_by_text("Rotation settings").click()
    await panel.get_by_label("Viewers may post to the chat").check()
    await panel.get_by_role("button", name="Save the rotation settings").click()
    await expect(chat).to_be_enabled()
    await chat.fill("hello from a viewer")
    await chat.press("Enter")
    said = ana.page.locator(".mob-chat-message", has_text="hello from a viewer")
    await expect(said.locator(".mob-chat-role")).to_have_text("viewer")
    for tab in (ana, bob, vi):
        assert tab.errors == []
        await tab.close()
