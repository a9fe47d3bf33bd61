"""Roles and the connection: viewers read only, offline edits merge, invites and the list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from support.browser import VIEWPORT, NotebookTab, invite
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_a_viewer_sees_everything_and_can_change_nothing(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    owner = await NotebookTab.open(browser, server, notebook)
    viewer = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vera"
    )
    await expect(viewer.page.locator(".read-only-badge")).to_be_visible()
    await expect(viewer.page.get_by_role("button", name="Insert a code cell below")).to_have_count(
        0
    )
    await expect(viewer.page.locator(".cell-tools")).to_have_count(0)
    await viewer.edit_end(1)
    await expect(viewer.editor(1)).to_have_attribute("aria-readonly", "true")
    await viewer.page.keyboard.type("zzz")
    await viewer.page.keyboard.press("Enter")
    await viewer.page.keyboard.press("Escape")
    await viewer.page.keyboard.press("b")
    await expect(viewer.page.locator(".toast")).to_contain_text("editing is turned off")
    await viewer.page.keyboard.press("d")
    await viewer.page.keyboard.press("d")
    # A sync point: the owner's next edit reaches the viewer, so anything the viewer had
    # sent would have reached the owner before it.
    await owner.edit_end(1)
    await owner.page.keyboard.type(" # owner")
    await viewer.wait_source(1, "s => s.endsWith(' # owner')")
    for tab in (owner, viewer):
        assert await tab.sources() == ["# Test notebook", "x = 1\nprint(x) # owner", "y = x + 1\ny"]
    # The owner sees the viewer, marked as one.
    await expect(owner.page.locator(".participants .person", has_text="Vera")).to_contain_text(
        "viewer"
    )
    # Were a viewer's page to write anyway, the server's refusal is said plainly.
    await viewer.page.evaluate(
        "() => window.pairbook.notebook.insertCell(0, {cell_type: 'code', source: 'sneaky'})"
    )
    await expect(viewer.page.locator(".banner-error")).to_contain_text("viewers cannot edit")
    latecomer = await NotebookTab.open(browser, server, notebook)  # the server's copy
    assert await latecomer.sources() == await owner.sources()
    assert "sneaky" not in await owner.sources()
    await latecomer.close()
    await owner.close()
    await viewer.close()


async def test_edits_made_offline_merge_when_the_connection_returns(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    await ada.context.set_offline(True)
    await expect(ada.page.locator(".status")).to_have_attribute("data-state", "offline")
    await expect(ada.page.locator(".banner", has_text="You are offline")).to_be_visible()
    await ada.edit_end(1)
    await ada.page.keyboard.type(" # written offline")
    await ada.page.keyboard.press("Escape")
    await ada.page.keyboard.press("b")
    await bob.edit_end(2)
    await bob.page.keyboard.type(" # written online")
    await ada.context.set_offline(False)
    await ada.wait_connected()
    for tab in (ada, bob):
        await tab.wait_until(
            "nb => nb.cells.length === 4"
            " && nb.cells[1].getSource().endsWith(' # written offline')"
            " && nb.cells[3].getSource().endsWith(' # written online')"
        )
    assert await ada.sources() == await bob.sources()
    await ada.close()
    await bob.close()


async def test_the_list_page_opens_and_creates_notebooks(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(f"{server.base}/?token={OWNER_TOKEN}")
    await expect(page.get_by_role("link", name=notebook)).to_be_visible()
    assert "token" not in page.url  # kept in localStorage, out of the address bar
    await page.get_by_label("New notebook name").fill("fresh")
    await page.get_by_role("button", name="Create notebook").click()
    await page.wait_for_url("**/notebooks/fresh.ipynb")
    tab = NotebookTab(page)
    await tab.wait_connected()
    await tab.edit_end(0)
    await page.keyboard.type("print('hi')")
    await tab.wait_source(0, "s => s === \"print('hi')\"")
    # The owner's Invite dialog mints a link to this notebook.
    await page.get_by_role("button", name="Invite someone to pair").click()
    await page.get_by_role("button", name="Viewer link").click()
    link = page.get_by_role("textbox", name="Invite link")
    prefix = re.escape(f"{server.base}/notebooks/fresh.ipynb?token=")
    await expect(link).to_have_value(re.compile(prefix + ".+"))
    invited = await browser.new_context()
    guest = await invited.new_page()
    await guest.goto(await link.input_value())
    await guest.get_by_label("Your display name").fill("Valentina")  # Vera joined above
    await guest.get_by_role("button", name="Join").click()
    await guest.wait_for_url("**/notebooks/fresh.ipynb")  # in the notebook, not the list
    await expect(guest.locator(".cell").first).to_contain_text("print('hi')")
    await invited.close()
    await context.close()


async def test_creating_a_notebook_that_exists_says_so_and_offers_to_open_it(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    before = (server.root / notebook).read_bytes()
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(f"{server.base}/?token={OWNER_TOKEN}")
    await page.get_by_label("New notebook name").fill(notebook.removesuffix(".ipynb"))
    await page.get_by_role("button", name="Create notebook").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text(f"{notebook} already exists")
    open_it = alert.get_by_role("link", name=f"Open {notebook}")
    await expect(open_it).to_be_visible()
    await page.screenshot(path=str(screenshots / "create-existing.png"))
    assert (server.root / notebook).read_bytes() == before  # not written over
    await open_it.click()
    await page.wait_for_url(f"**/notebooks/{notebook}")
    tab = NotebookTab(page)
    await tab.wait_connected()
    assert await tab.source(1) == "x = 1\nprint(x)"
    await context.close()
