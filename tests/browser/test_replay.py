"""Replay in the browser: the timeline, seeking, a link to a moment, playback and blame."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.notebooks import write_notebook
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""


async def open_replay(tab: NotebookTab, url: str) -> None:
    """Opens a replay page and waits until it shows its first moment."""
    await tab.page.goto(url)
    await tab.page.wait_for_function("() => window.pairbookReplay?.ready === true")


async def replay_seq(tab: NotebookTab) -> int:
    seq: int = await tab.page.evaluate("() => window.pairbookReplay.seq")
    return seq


async def replay_sources(tab: NotebookTab) -> list[str]:
    result: list[str] = await tab.page.evaluate(
        "() => window.pairbookReplay.notebook.cells.map(c => c.getSource())"
    )
    return result


async def test_the_replay_page_seeks_plays_links_and_blames(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    ana = await NotebookTab.open(browser, server, notebook)
    grace = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Grace Hopper"
    )
    await ana.edit_end(1)
    await ana.page.keyboard.type("\ntotal = x * 10", delay=40)
    await grace.wait_source(1, "s => s.endsWith('total = x * 10')")
    await grace.edit_end(2)
    await grace.page.keyboard.type("\nprint(total + y)", delay=40)
    await ana.wait_source(2, "s => s.endsWith('print(total + y)')")
    await ana.edit_end(1)
    await ana.page.keyboard.type("\nprint('total is', total)", delay=40)
    await ana.page.keyboard.press("Shift+Enter")
    await expect(grace.cell(1).locator(".cell-outputs")).to_contain_text(
        "total is 10", timeout=KERNEL_START
    )
    final = await ana.sources()

    # Blame on demand in the live notebook: Grace's line is hers.
    await ana.page.get_by_role("button", name="Show who wrote each line").click()
    await expect(ana.cell(2).locator(".blame-line").last).to_contain_text("Grace Hopper")
    await expect(ana.cell(1).locator(".blame-line").first).to_contain_text("the file")
    await expect(ana.cell(1).locator(".blame-line").last).to_contain_text("Owner")
    await expect(ana.page.locator(".recording-badge")).to_have_text("● Recording")
    # Grace pauses the recording: everyone sees it; then she resumes it.
    await grace.page.get_by_role("button", name="Turn recording off").click()
    await expect(ana.page.locator(".recording-badge")).to_have_text("○ Not recording")
    await grace.page.get_by_role("button", name="Turn recording on").click()
    await expect(ana.page.locator(".recording-badge")).to_have_text("● Recording")

    # The replay page: the timeline has both people's edits, in their colors.
    page = ana.page
    await open_replay(ana, f"{server.base}/replay/{quote(notebook)}?token={quote(OWNER_TOKEN)}")
    await expect(page.locator(".legend-person")).to_have_text(["Owner", "Grace Hopper"])
    await expect(page.locator(".banner")).to_contain_text("Recording was turned off once")
    await expect(page.locator(".timeline-off")).to_have_count(1)
    assert await page.locator(".timeline-svg rect[fill]").count() > 2
    timeline = await page.evaluate("() => window.pairbookReplay.timeline")
    # Seek: a click on the timeline where Grace joined shows a moment before she typed.
    track = page.locator(".timeline-track")
    box = await track.bounding_box()
    assert box is not None
    joined = next(
        e["ts"]
        for e in timeline["events"]
        if e["kind"] == "join" and e["data"]["name"] == "Grace Hopper"
    )
    at = (joined - timeline["start_ts"]) / (timeline["end_ts"] - timeline["start_ts"])
    await track.click(position={"x": box["width"] * at, "y": box["height"] / 2})
    await page.wait_for_function("() => location.search.startsWith('?seq=')")
    early = await replay_seq(ana)
    assert 0 < early < timeline["last_seq"]
    assert not (await replay_sources(ana))[2].endswith("print(total + y)")
    assert f"?seq={early}" in page.url
    # The run is on the timeline; "Next run" steps to just after it, its output shown.
    await expect(page.locator(".mark-run")).to_have_count(1)
    await page.get_by_role("button", name="Step to the end of the next run").click()
    await expect(page.locator(".replay-notebook .cells > .cell").nth(1)).to_contain_text(
        "total is 10"
    )
    await page.wait_for_function("s => window.pairbookReplay.seq > s", arg=early)
    # Play at 32x to the end: the replay reaches what the live notebook holds.
    await page.get_by_label("Playback speed").select_option("32")
    await page.get_by_role("button", name="Play").click()
    await page.wait_for_function(
        "last => window.pairbookReplay.seq >= last", arg=timeline["last_seq"], timeout=60_000
    )
    await expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert await replay_sources(ana) == final
    # A link to a moment opens that moment; blame shows who wrote each line then.
    await open_replay(ana, f"{server.base}/replay/{quote(notebook)}?seq={early}")
    assert await replay_seq(ana) == early
    await open_replay(ana, f"{server.base}/replay/{quote(notebook)}")
    await page.evaluate("last => window.pairbookReplay.seek({ seq: last })", timeline["last_seq"])
    await page.get_by_label("Show who wrote each line").check()
    cells = page.locator(".replay-notebook .cells > .cell")
    await expect(cells.nth(2).locator(".blame-line").last).to_contain_text("Grace Hopper")
    await expect(cells.nth(1).locator(".blame-line").last).to_contain_text("Owner")
    await track.click(position={"x": box["width"] * 0.55, "y": box["height"] / 2})
    await page.wait_for_function("() => location.search.startsWith('?seq=')")
    await expect(cells.nth(1).locator(".blame-line").first).to_be_visible()
    # The recorded people's carets are shown where they were.
    await expect(page.locator(".replay-notebook .cm-ySelectionCaret").first).to_be_attached()
    await ana.screenshot(screenshots / "replay.png")
    assert ana.errors == []
    assert grace.errors == []
    await ana.close()
    await grace.close()


async def test_following_a_person_in_the_replay_scrolls_to_their_cell(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    write_notebook(server.root / notebook, [f"value_{i} = {i}" for i in range(40)])
    ana = await NotebookTab.open(browser, server, notebook)
    grace = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Grace Hopper"
    )
    await grace.edit_end(35)
    await grace.page.keyboard.type("  # Grace was here", delay=20)
    await ana.wait_source(35, "s => s.endsWith('# Grace was here')")
    page = ana.page
    await open_replay(ana, f"{server.base}/replay/{quote(notebook)}")
    last = await page.evaluate("() => window.pairbookReplay.timeline.last_seq")
    await page.evaluate("last => window.pairbookReplay.seek({ seq: last })", last)
    cell = page.locator(".replay-notebook .cells > .cell").nth(35)
    await expect(cell).to_contain_text("# Grace was here")
    await expect(cell).not_to_be_in_viewport()
    await page.get_by_label("Follow a person").select_option(label="Follow Grace Hopper")
    await expect(cell).to_be_in_viewport()
    assert ana.errors == []
    await ana.close()
    await grace.close()
