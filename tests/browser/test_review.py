"""The review page in the browser: two people edit and run, the page shows the diff with
each changed line in its author's colour, the runs, and notebook text as text only."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.git import git
from support.notebooks import write_notebook
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""

ATTACK = '# <img src=x onerror="window.__pwned = 1">'


async def test_the_review_page_shows_who_wrote_each_line_and_who_ran_each_cell(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    folder = server.root / "reviewed"  # a repository of its own inside the served folder
    name = "reviewed/pipeline.ipynb"
    write_notebook(server.root / name, ["x = 1\nprint(x)", "y = x + 1\ny", "old = 'gone'"])
    git(folder, "init", "-q")
    git(folder, "add", "pipeline.ipynb")
    git(folder, "commit", "-q", "-m", "Load the raw data")
    ana = await NotebookTab.open(browser, server, name)
    grace = await NotebookTab.open(
        browser, server, name, token=invite(server, "editor"), join_as="Grace Hopper"
    )
    await ana.edit_end(1)
    await ana.page.keyboard.type("\ntotal = x * 10\nprint('total is', total)", delay=20)
    await grace.wait_source(1, "s => s.endsWith(\"print('total is', total)\")")
    await grace.edit_end(2)
    await grace.page.keyboard.type(f"\n{ATTACK}\nprint(total + y)", delay=20)
    await ana.wait_source(2, "s => s.endsWith('print(total + y)')")
    await grace.page.evaluate("() => window.pairbook.notebook.deleteCell(3)")
    await ana.page.evaluate("() => window.pairbook.notebook.cells[1].updateSource(5, 5, '0')")
    await ana.wait_until("nb => nb.cells.length === 3")
    await ana.edit_end(1)
    await ana.page.keyboard.press("Shift+Enter")
    await expect(grace.cell(1).locator(".cell-outputs")).to_contain_text(
        "total is 100", timeout=KERNEL_START
    )
    await grace.edit_end(2)
    await grace.page.keyboard.press("Control+Enter")
    await expect(ana.cell(2).locator(".cell-outputs")).to_contain_text("111", timeout=30_000)

    page = ana.page
    # The session summary links to the review page.
    await page.locator(".mob-panel").get_by_role("button", name="Session summary").click()
    link = page.get_by_role("link", name="Review the session’s changes, cell by cell")
    assert (await link.get_attribute("href") or "").startswith(f"/notebooks/{name}/review")
    await page.keyboard.press("Escape")
    await page.goto(f"{server.base}/notebooks/{quote(name)}/review?token={quote(OWNER_TOKEN)}")
    cells = page.locator(".review-cell")
    await expect(cells).to_have_count(3)  # two changed, one deleted; the markdown folds away
    await expect(page.locator(".review-since")).to_contain_text("Load the raw data")
    first = page.locator(".review-cell[data-cell-id='code-0']")
    await expect(first.locator(".review-badge.changed")).to_be_visible()
    added = first.locator(".review-row.added .right")
    await expect(added.first).to_contain_text("total = x * 10")
    await expect(added.first.locator(".review-blame")).to_have_text("Owner")
    second = page.locator(".review-cell[data-cell-id='code-1']")
    await expect(second.locator(".review-row.added .review-blame").first).to_have_text(
        "Grace Hopper"
    )
    grace_color = await second.locator(".review-row.added .right").first.evaluate(
        "el => el.style.getPropertyValue('--who')"
    )
    owner_color = await added.first.evaluate("el => el.style.getPropertyValue('--who')")
    assert grace_color.startswith("#")
    assert grace_color != owner_color
    await expect(first.locator(".review-run")).to_contain_text("Run by Owner")
    await expect(first.locator(".review-produced")).to_be_visible()
    await expect(second.locator(".review-run")).to_contain_text("Run by Grace Hopper")
    await expect(first.locator(".review-outputs")).to_contain_text("total is 100")
    changed = first.locator(".review-row.changed")  # x = 1 became x = 10: the 0 is marked
    await expect(changed.locator(".left code")).to_have_text("x = 1")
    await expect(changed.locator(".right mark")).to_have_text("0")
    await expect(changed.locator(".review-blame")).to_have_text("Owner")
    deleted = page.locator(".review-cell[data-cell-id='code-2']")
    await expect(deleted.locator(".review-row.deleted .left")).to_contain_text("old = 'gone'")

    # The attacker's line is text on the page: no element made of it, no script run.
    await expect(second).to_contain_text(ATTACK)
    assert await page.locator(".review-cell img").count() == 0
    assert await page.evaluate("() => window.__pwned") is None

    for width in (1280, 1920):
        await page.set_viewport_size({"width": width, "height": 1000})
        overflow = await page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, f"the page scrolls sideways at {width} px"
        await ana.screenshot(screenshots / f"review-{width}.png")

    # Picking "the start of the recording" reloads the page with that span.
    await page.locator(".review-since").select_option("start")
    await page.wait_for_url("**/review?since=start")
    await expect(page.locator(".review-span")).to_contain_text("the start of the recording")
    assert ana.errors == []
    await ana.close()
    await grace.close()
