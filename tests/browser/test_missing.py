"""A mistyped notebook URL: the server closes the room 4404 and the page says so, as
JupyterLab does: no toolbar, no kernel controls, no endless "Loading the notebook…", and a
link back to the notebook list."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, WebSocket, expect

from support.browser import VIEWPORT
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_a_notebook_that_does_not_exist_gets_a_not_found_page(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    closes: list[str] = []

    def watch(socket: WebSocket) -> None:
        socket.on("close", lambda _: closes.append(socket.url))

    page.on("websocket", watch)
    await page.goto(f"{server.base}/notebooks/typo.ipynb?token={quote(OWNER_TOKEN)}")

    heading = page.get_by_role("heading", name="This notebook does not exist")
    await expect(heading).to_be_visible()
    await expect(page.locator("main")).to_contain_text("typo.ipynb")
    # The server's reason names the notebook as the person typed it, not a path on the server.
    await expect(page.locator("main")).not_to_contain_text(str(server.root))
    await page.screenshot(path=str(screenshots / "notebook-missing.png"))
    # Nothing is loading any more, and nothing of a live notebook is left to press.
    await expect(page.locator(".notebook")).to_have_count(0)
    await expect(page.locator(".toolbar")).to_have_count(0)
    await expect(page.locator(".sidebar")).to_have_count(0)
    await expect(page.get_by_role("button", name="Restart the kernel")).to_have_count(0)
    assert closes, "the room's websocket was closed"
    assert await page.title() == "Notebook not found · pairbook"

    # The way back is the notebook list, where the real notebook is.
    await page.get_by_role("link", name="Back to the notebook list").click()
    await expect(page.get_by_role("link", name=notebook.removesuffix(".ipynb"))).to_be_visible()
    assert errors == []
    await context.close()
