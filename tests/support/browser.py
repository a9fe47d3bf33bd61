"""Driving Debian's Chromium through Playwright against a real pairbook server."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, async_playwright

from support.server import OWNER_TOKEN, REPO, ServerProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Without the background-networking flags Chromium keeps calling home on a closed network."""

BUILT_CLIENT = REPO / "server" / "pairbook" / "static" / "index.html"
VIEWPORT = {"width": 1360, "height": 860}


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless with CHROMIUM_ARGS, for the block; a test fails with
    advice when it is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `bash scripts/install.sh` (it installs Debian's)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


def free_name(server: ServerProcess, name: str) -> None:
    """Revoke whoever joined under `name` before (display names are unique on a server, and
    the browser tests share one server): the next join may take the name again."""
    status, body = server.get("/api/people")
    assert status == 200, body
    assert isinstance(body, dict)
    for person in body["people"]:
        if person["user"]["name"].casefold() == name.casefold():
            status, _ = server.request("DELETE", f"/api/people/{person['user']['id']}")
            assert status == 200


def invite(server: ServerProcess, role: str) -> str:
    """A fresh invite token of `role`, minted by the owner."""
    status, body = server.request("POST", "/api/invites", {"role": role})
    assert status == 201, body
    assert isinstance(body, dict)
    token: str = body["token"]
    return token


TOOLBAR_FITS = """bar => {
    const box = bar.getBoundingClientRect()
    const out = [...bar.querySelectorAll('button, select, .mob-badge, .mode-label, .status')]
        .filter(e => e.offsetParent !== null)
        .filter(e => {
            const r = e.getBoundingClientRect()
            return r.right > box.right + 0.5 || r.left < box.left - 0.5
        })
    const names = out.map(e => e.getAttribute('aria-label') || e.textContent)
    return { overflow: bar.scrollWidth - bar.clientWidth, out: names }
}"""
"""How far the toolbar overflows and which of its controls are outside it."""


@dataclass
class NotebookTab:
    """One person's browser tab on one notebook."""

    page: Page
    errors: list[str] = field(default_factory=list)
    """Uncaught exceptions in the page: a test expects none."""

    @classmethod
    async def open(
        cls,
        browser: Browser,
        server: ServerProcess,
        notebook: str,
        *,
        token: str = OWNER_TOKEN,
        join_as: str | None = None,
        email: str | None = None,
    ) -> NotebookTab:
        """Opens the notebook in a new browser context; joins under `join_as` if an invite."""
        context: BrowserContext = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        page = await context.new_page()
        tab = cls(page)
        page.on("pageerror", lambda error: tab.errors.append(str(error)))
        await page.goto(f"{server.base}/notebooks/{quote(notebook)}?token={quote(token)}")
        if join_as is not None:
            free_name(server, join_as)
            await page.get_by_label("Your display name").fill(join_as)
            if email is not None:
                await page.get_by_label("Email").fill(email)
            await page.get_by_role("button", name="Join").click()
        await tab.wait_connected()
        return tab

    @classmethod
    async def pair(
        cls, browser: Browser, server: ServerProcess, notebook: str, *, partner: str = "Bob"
    ) -> tuple[NotebookTab, NotebookTab]:
        """The owner's tab and an invited editor's, joined as `partner`, on one notebook."""
        owner = await cls.open(browser, server, notebook)
        editor = await cls.open(
            browser, server, notebook, token=invite(server, "editor"), join_as=partner
        )
        return owner, editor

    @property
    def context(self) -> BrowserContext:
        return self.page.context

    async def close(self) -> None:
        await self.context.close()

    async def wait_connected(self) -> None:
        await self.page.locator(".status[data-state=connected]").wait_for()
        await self.page.locator(".notebook:not(.loading) .cell").first.wait_for()

    def cell(self, index: int) -> Locator:
        return self.page.locator(".cells > .cell").nth(index)

    def editor(self, index: int) -> Locator:
        return self.cell(index).locator(".cm-content")

    async def command_mode(self, index: int) -> None:
        """Selects cell `index` in command mode, as a JupyterLab user does: a click (edit
        mode), then Escape."""
        await self.cell(index).click()
        await self.page.keyboard.press("Escape")

    async def edit_end(self, index: int) -> None:
        """Puts the cursor at the very end of cell `index` (edit mode)."""
        await self.cell(index).scroll_into_view_if_needed()
        await self.editor(index).click()
        await self.page.keyboard.press("Control+End")

    async def toolbar_overflow(self) -> dict[str, Any]:
        """How far the toolbar overflows (0: it fits) and the controls outside its box."""
        result: dict[str, Any] = await self.page.locator(".toolbar").evaluate(TOOLBAR_FITS)
        return result

    async def tool(self, name: str) -> Locator:
        """The toolbar's button named `name`, from its "More" menu (opened) when a full
        toolbar moved it there at this width."""
        toolbar = self.page.locator(".toolbar")
        found = toolbar.get_by_role("button", name=name, exact=True)
        if await found.count() == 0:
            await toolbar.get_by_role("button", name="More actions").click()
            menu = self.page.locator(".tool-more-menu")
            found = menu.get_by_role("menuitem", name=name, exact=True).or_(
                menu.get_by_role("menuitemcheckbox", name=name, exact=True)
            )
        return found

    async def sources(self) -> list[str]:
        result: list[str] = await self.page.evaluate(
            "() => window.pairbook.notebook.cells.map(c => c.getSource())"
        )
        return result

    async def shown_cells(self) -> list[str]:
        """The ids of the cells on screen, in order (a collapsed heading hides the others)."""
        result: list[str] = await self.page.locator(".cells > .cell:visible").evaluate_all(
            "cells => cells.map(c => c.dataset.cellId)"
        )
        return result

    async def source(self, index: int) -> str:
        result: str = await self.page.evaluate(
            "i => window.pairbook.notebook.cells[i].getSource()", index
        )
        return result

    async def screen_text(self, index: int) -> str:
        """The text cell `index` shows on screen, without partners' caret widgets."""
        result: str = await self.editor(index).evaluate(
            """content => [...content.querySelectorAll('.cm-line')].map(line => {
                const copy = line.cloneNode(true)
                const widgets = copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer')
                widgets.forEach(w => w.remove())
                return copy.textContent
            }).join('\\n')"""
        )
        return result

    async def wait_until(self, expression: str, arg: Any = None) -> None:
        """Waits until `expression` (a JS function of (notebook, arg)) is true in this tab."""
        await self.page.wait_for_function(
            f"arg => {{ const nb = window.pairbook.notebook; return ({expression})(nb, arg) }}",
            arg=arg,
        )

    async def wait_source(self, index: int, predicate: str, arg: Any = None) -> None:
        """Waits until `predicate` (a JS function of (source, arg)) holds for cell `index`."""
        source = f"nb.cells[{index}].getSource()"
        await self.wait_until(
            f"(nb, a) => nb.cells.length > {index} && ({predicate})({source}, a)", arg
        )

    async def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(path))
