"""A kernel that stays, seen from the browser: three people leave (one opens another notebook),
the empty room unloads, they come back to the same kernel with `x` still defined; a kernel
that stopped — shut down, or culled after idling — says so in every page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.client import YClient
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""
SHOTS = Path("/work/notes/shots")
GONE = "from a kernel that is gone"
CULL = 4
"""Seconds idle before the cull in the cull test (it warns in the last quarter)."""


async def rooms_loaded(server: ServerProcess, count: int) -> None:
    async with asyncio.timeout(30):
        while server.get("/api/health")[1] != {"status": "ok", "rooms": count}:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # polling another process


async def three(browser: Browser, server: ServerProcess, notebook: str) -> list[NotebookTab]:
    """The owner, an editor and a viewer on the notebook."""
    owner = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    vera = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vera"
    )
    return [owner, bob, vera]


async def run_cell(tab: NotebookTab, index: int) -> None:
    await tab.cell(index).hover()
    await tab.cell(index).get_by_role("button", name="Run cell").click()


async def first_of(waits: Iterable[Awaitable[None]]) -> None:
    """Return once one of the waits is over (the others are cancelled); its error, if any."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    done.pop().result()


async def shots(tab: NotebookTab, name: str) -> None:
    for width in (1280, 1920):
        await tab.page.set_viewport_size({"width": width, "height": 900})
        await tab.screenshot(SHOTS / f"kernel-life-{name}-{width}.png")


async def test_the_kernel_stays_while_everyone_is_away_and_the_page_says_when_it_stopped(
    browser: Browser, tmp_path: Path
) -> None:
    root = tmp_path / "notebooks"
    write_notebook(root / "life.ipynb", ["x = 41\nprint(x)", "print(x + 1)"])
    write_notebook(root / "other.ipynb")
    args = ("--room-unload-delay", "0.3")
    with ServerProcess(root, store=str(tmp_path / "store.sqlite"), args=args) as server:
        tabs = await three(browser, server, "life.ipynb")
        await run_cell(tabs[0], 1)
        for tab in tabs:
            await expect(tab.cell(1).locator(".cell-outputs")).to_contain_text(
                "41", timeout=KERNEL_START
            )
        for tab in tabs:
            await tab.close()
        # The owner opens another notebook meanwhile: the empty room unloads, not its kernel.
        elsewhere = await NotebookTab.open(browser, server, "other.ipynb")
        await rooms_loaded(server, 1)
        await elsewhere.close()

        tabs = await three(browser, server, "life.ipynb")
        for tab in tabs:
            await expect(tab.page.locator(".kernel-status")).to_contain_text(
                "Python 3 (ipykernel) · idle"
            )
            await expect(tab.cell(1).locator(".run-badge")).not_to_contain_text(GONE)
            await expect(tab.page.locator("[data-banner=kernel]")).to_have_count(0)
            # The kernel-state panel still shows what the kernel holds.
            await expect(tab.page.locator('.state-panel tr[data-name="x"]')).to_have_count(1)
        await run_cell(tabs[1], 2)  # Bob runs `print(x + 1)` in the same kernel
        for tab in tabs:
            await expect(tab.cell(2).locator(".cell-outputs")).to_contain_text(
                "42", timeout=KERNEL_START
            )
        assert "NameError" not in await tabs[2].cell(2).inner_text()
        await shots(tabs[0], "returned")

        async with YClient(server.ws_url("life.ipynb")) as owner:
            reply = await owner.command("shutdown")
            assert reply["ok"], reply
        for tab in tabs:
            status = tab.page.locator(".kernel-status")
            await expect(status).to_contain_text("Python 3 (ipykernel) · stopped (shut down by ")
            # The whole sentence is on screen (it wraps), and in the tooltip too.
            text = status.locator(".kernel-status-text")
            clipped = await text.evaluate("e => e.scrollWidth > e.clientWidth + 1")
            assert not clipped
            assert await status.get_attribute("title") == await text.inner_text()
            await expect(tab.cell(1).locator(".run-badge")).to_contain_text(GONE)
            await expect(tab.cell(2).locator(".run-badge")).to_contain_text(GONE)
            await expect(tab.page.locator(".state-notice")).to_contain_text(
                "From a kernel that is gone (shut down by "
            )
            await expect(tab.page.locator("[data-banner=kernel]")).to_contain_text(
                "The kernel stopped (shut down by "
            )
        await shots(tabs[2], "stopped")
        errors = [error for tab in tabs for error in tab.errors]
        for tab in tabs:
            await tab.close()
        assert errors == []


async def test_an_idle_kernel_is_announced_then_culled_and_the_page_says_so(
    browser: Browser, tmp_path: Path
) -> None:
    root = tmp_path / "notebooks"
    write_notebook(root / "cull.ipynb", ["x = 41\nprint(x)", "print(x + 1)"])
    args = ("--cull-idle-after", str(CULL))
    with ServerProcess(root, store=str(tmp_path / "store.sqlite"), args=args) as server:
        tabs = await three(browser, server, "cull.ipynb")
        await run_cell(tabs[0], 1)
        await expect(tabs[0].cell(1).locator(".cell-outputs")).to_contain_text(
            "41", timeout=KERNEL_START
        )
        # The warning shows for the last quarter of CULL, a second: as soon as one page
        # shows it, the server (its cull with it) is paused while the pages are looked at.
        # The server wrote the warning to every page in one go, so the others get it from
        # their sockets meanwhile, however long a busy machine takes to draw them.
        banners = [tab.page.locator("[data-banner=kernel]") for tab in tabs]
        warnings = [banner.filter(has_text="The kernel has been idle") for banner in banners]
        await first_of(warning.wait_for(timeout=30_000) for warning in warnings)
        with server.paused():
            for warning in warnings:
                await expect(warning).to_contain_text("Run a cell to keep it.", timeout=30_000)
            await tabs[1].screenshot(SHOTS / "kernel-life-cull-warning-1360.png")
        for tab in tabs:
            await expect(tab.page.locator(".kernel-status")).to_contain_text(
                "stopped (idle for ", timeout=30_000
            )
        async with YClient(server.ws_url("cull.ipynb")) as ana:
            stopped = ana.map("kernel")["stopped"]
        assert stopped["reason"] == "idle"
        assert stopped["idle_for"] >= CULL
        idle_for = f"stopped (idle for {int(stopped['idle_for'] + 0.5)} s, by the server"
        for tab in tabs:
            await expect(tab.page.locator(".kernel-status")).to_contain_text(idle_for)
            await expect(tab.cell(1).locator(".run-badge")).to_contain_text(GONE)
        await shots(tabs[1], "culled")
        for tab in tabs:
            await tab.close()
