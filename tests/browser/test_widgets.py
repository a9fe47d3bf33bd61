"""Shared widgets in three Chromium pages on a real ipykernel with ipywidgets: `interact` run
in one page, its slider dragged by a second person, every page shows the new output; a
viewer's widgets are locked; a reload keeps the state; the replay shows the slider moving."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Locator, expect

from support.browser import NotebookTab, invite
from support.notebooks import write_notebook
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""

INTERACT = (
    "from ipywidgets import interact\ndef f(x):\n    print('x is', x)\ninteract(f, x=(0, 10));"
)


def widget(tab: NotebookTab) -> Locator:
    return tab.cell(1).locator(".widget-area")


async def drag_slider_right(tab: NotebookTab, fraction: float) -> None:
    """Drag the cell's slider handle right by `fraction` of its track, in small steps."""
    handle = widget(tab).locator(".noUi-handle").first
    track = widget(tab).locator(".noUi-target").first
    hbox, tbox = await handle.bounding_box(), await track.bounding_box()
    assert hbox is not None
    assert tbox is not None
    x, y = hbox["x"] + hbox["width"] / 2, hbox["y"] + hbox["height"] / 2
    await tab.page.mouse.move(x, y)
    await tab.page.mouse.down()
    for step in range(1, 21):
        await tab.page.mouse.move(x + tbox["width"] * fraction * step / 20, y)
    await tab.page.mouse.up()


async def test_a_slider_dragged_by_one_person_moves_every_page_and_the_replay(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    name = "widgets-interact.ipynb"
    write_notebook(server.root / name, [INTERACT])
    ana = await NotebookTab.open(browser, server, name)
    grace = await NotebookTab.open(
        browser, server, name, token=invite(server, "editor"), join_as="Grace Hopper"
    )
    vi = await NotebookTab.open(
        browser, server, name, token=invite(server, "viewer"), join_as="Vi Ewer"
    )
    tabs = (ana, grace, vi)

    await ana.cell(1).click()
    await ana.page.keyboard.press("Shift+Enter")
    for tab in tabs:
        await expect(widget(tab).locator(".widget-readout")).to_have_text("5", timeout=KERNEL_START)
        await expect(widget(tab).locator(".widget-output")).to_contain_text("x is 5")
    await expect(widget(vi)).to_have_class(re.compile("widget-read-only"))
    assert await widget(vi).evaluate("area => area.inert") is True

    await drag_slider_right(grace, 0.3)
    readout = widget(grace).locator(".widget-readout")
    await expect(readout).not_to_have_text("5")
    moved = (await readout.text_content() or "").strip()
    assert moved.isdigit()
    assert int(moved) > 5
    for tab in tabs:
        await expect(widget(tab).locator(".widget-readout")).to_have_text(moved)
        await expect(widget(tab).locator(".widget-output")).to_have_text(
            re.compile(f"x is {moved}\\s*$")
        )
    await ana.screenshot(screenshots / "widgets.png")

    # A reload keeps the shared state: the map holds it, not the page.
    await grace.page.reload()
    await grace.wait_connected()
    await expect(widget(grace).locator(".widget-readout")).to_have_text(moved)
    await expect(widget(grace).locator(".widget-output")).to_contain_text(f"x is {moved}")

    # The replay: at the end the slider is where Grace left it; before her first change it
    # is where the run put it; the timeline says who moved it.
    page = vi.page
    replay = f"{server.base}/replay/{quote(name)}?token={quote(OWNER_TOKEN)}"
    await page.goto(replay)
    await page.wait_for_function("() => window.pairbookReplay?.ready === true")
    shown = page.locator(".replay-notebook .cells > .cell").nth(1).locator(".widget-area")
    await expect(shown.locator(".widget-readout")).to_have_text(moved)
    assert await shown.evaluate("area => area.inert") is True
    timeline = await page.evaluate("() => window.pairbookReplay.timeline")
    changes = [e for e in timeline["events"] if e["kind"] == "widget"]
    assert changes
    assert {e["user"] for e in changes} == {
        next(
            e["user"]
            for e in timeline["events"]
            if e["kind"] == "join" and e["data"]["name"] == "Grace Hopper"
        )
    }
    await page.goto(f"{replay}&seq={changes[0]['seq']}")  # noted as the kernel took it
    await page.wait_for_function("() => window.pairbookReplay?.ready === true")
    await expect(shown.locator(".widget-readout")).to_have_text("5")
    await expect(shown.locator(".widget-output")).to_contain_text("x is 5")

    for tab in tabs:
        assert tab.errors == []
        await tab.close()
