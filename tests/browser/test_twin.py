"""The page's `.py` twin switch in real Chromium: it shows the server's default, an editor
switches the twin off and on (jupytext's pairing in the notebook's metadata, seen by every
peer and saved to the file), and a viewer sees it but cannot switch it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def wait_for_text(path: Path, text: str, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not (path.is_file() and text in path.read_text()):  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # polling a file the server process writes


async def test_an_editor_switches_the_twin_and_a_viewer_cannot(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    owner = await NotebookTab.open(browser, server, notebook)
    vic = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vic"
    )
    twin = server.root / notebook.replace(".ipynb", ".py")
    switch = owner.page.locator(".twin-switch")
    await expect(switch).to_have_text(".py twin: on")  # the server pairs by default
    await wait_for_text(twin, "# %%")
    await expect(vic.page.locator(".twin-switch")).to_be_disabled()

    await switch.click()
    await expect(switch).to_have_text(".py twin: off")
    await expect(switch).to_have_attribute("aria-pressed", "false")
    await expect(vic.page.locator(".twin-switch")).to_have_text(".py twin: off")
    await wait_for_text(server.root / notebook, '"formats": "ipynb"')

    await switch.click()
    await expect(switch).to_have_text(".py twin: on")
    await wait_for_text(server.root / notebook, '"formats": "ipynb,py:percent"')
    await owner.close()
    await vic.close()


async def test_an_edit_of_the_twin_on_disk_reaches_the_page_with_a_note(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    owner = await NotebookTab.open(browser, server, notebook)
    twin = server.root / notebook.replace(".ipynb", ".py")
    await wait_for_text(twin, "y = x + 1")
    twin.write_text(twin.read_text().replace("y = x + 1", "y = x + 42  # in my editor"))
    await owner.wait_source(2, "s => s.startsWith('y = x + 42  # in my editor')")
    await expect(owner.editor(2)).to_contain_text("y = x + 42  # in my editor")
    await expect(owner.page.locator(".toast")).to_contain_text(
        "was edited on disk: merged into the notebook"
    )
    await owner.close()
