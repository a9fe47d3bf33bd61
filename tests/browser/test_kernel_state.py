"""The kernel-state panel from the browser: one person defines a variable, the other sees it
with that person's name on it, and the warnings show on the cells."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.server import ServerProcess

SHOTS = Path("/work/notes/shots")
"""Where the screenshots people look at go (besides the test's own folder)."""

DATA_CELL = """import numpy as np, pandas as pd
arr = np.arange(12_000, dtype="float64").reshape(100, 120)
df = pd.DataFrame({"city": ["Paris", "Lyon"] * 50,
                   "temperature_celsius_average": np.linspace(0, 30, 100)})
note = "a fairly long string value " * 20"""

CLIPPED = """cell => {
    const wrap = cell.closest('.state-table-wrap').getBoundingClientRect()
    const box = cell.getBoundingClientRect()
    const inside = box.left >= wrap.left - 0.5 && box.right <= wrap.right + 0.5
    const lines = [...cell.querySelectorAll('.var-line, .var-person-name')]
    const cut = lines.filter(line => line.scrollWidth > line.clientWidth + 0.5)
    return inside && lines.length > 0 ? cut.map(line => line.textContent) : ['outside the panel']
}"""
"""What of a who/where cell is clipped: [] when it is inside the panel and shows in full."""

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""


async def test_b_sees_the_variable_a_just_defined_with_a_s_name(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    ada = await NotebookTab.open(browser, server, notebook, token=invite(server, "editor"),
                                 join_as="Ada")  # fmt: skip
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    # Ada defines a variable in the first code cell and runs it.
    await ada.edit_end(1)
    await ada.page.keyboard.type("\nanswer = 42")
    await ada.page.keyboard.press("Control+Enter")
    row = bob.page.locator(".state-table tr[data-name='answer']")
    await expect(row).to_be_visible(timeout=KERNEL_START)
    await expect(row.locator(".var-type")).to_have_text("int")
    await expect(row.locator(".var-summary")).to_contain_text("42")
    await expect(row.locator(".var-defined .var-cell")).to_have_text("cell 2")
    await expect(row.locator(".var-defined .var-person")).to_have_text("Ada")

    # Bob runs the second cell, then Ada changes x and re-runs her cell: Bob's is stale.
    await bob.cell(2).hover()
    await bob.cell(2).get_by_role("button", name="Run cell").click()
    await expect(ada.page.locator(".state-table tr[data-name='y']")).to_be_visible(
        timeout=KERNEL_START
    )
    await ada.edit_end(1)
    await ada.page.keyboard.type("\nx = 100")
    await ada.page.keyboard.press("Control+Enter")
    warning = bob.cell(2).locator(".cell-warning[data-kind='stale']")
    await expect(warning).to_contain_text("x was changed in cell 2 by Ada", timeout=KERNEL_START)
    await expect(ada.cell(2).locator(".cell-warning[data-kind='stale']")).to_be_visible()

    # Clicking a name jumps to the cell that defined it.
    await bob.page.locator(".state-table tr[data-name='y'] .var-name").click()
    await expect(bob.cell(2)).to_have_class("cell cell-code active")
    await bob.page.locator(".state-panel").screenshot(
        path=str(screenshots / "kernel-state-panel.png")
    )
    await bob.screenshot(screenshots / "kernel-state.png")
    for tab in (ada, bob):
        await tab.close()


async def test_who_and_where_show_in_full_at_1280_px_beside_pandas_and_numpy_values(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    owner = await NotebookTab.open(browser, server, notebook)
    ada = await NotebookTab.open(browser, server, notebook, token=invite(server, "editor"),
                                 join_as="Ada Lovelace-Byron")  # fmt: skip
    vic = await NotebookTab.open(browser, server, notebook, token=invite(server, "viewer"),
                                 join_as="Vic")  # fmt: skip
    await vic.page.set_viewport_size({"width": 1280, "height": 800})
    # Ada writes the data cell; the owner runs it as it stands: both are credited.
    await ada.edit_end(1)
    await ada.page.keyboard.press("Control+a")
    await ada.page.keyboard.insert_text(DATA_CELL)
    await owner.wait_source(1, "(s, a) => s === a", DATA_CELL)
    await owner.cell(1).hover()
    await owner.cell(1).get_by_role("button", name="Run cell").click()
    name = await owner.page.evaluate("() => window.pairbook.awareness.getLocalState().user.name")
    row = vic.page.locator(".state-table tr[data-name='df']")
    await expect(row).to_be_visible(timeout=KERNEL_START)
    await expect(row.locator(".var-type")).to_have_text("DataFrame")
    await expect(row.locator(".var-type")).to_have_attribute("title", "pandas.DataFrame")
    await expect(row.locator(".var-defined .var-cell")).to_have_text("cell 2")
    await expect(row.locator(".var-defined .var-author")).to_have_text("Ada Lovelace-Byron wrote")
    await expect(row.locator(".var-defined .var-runner")).to_have_text(f"{name} ran")
    await expect(row.locator(".var-changed .var-person")).to_have_text(name)

    for width in (1280, 1920):
        await vic.page.set_viewport_size({"width": width, "height": 900})
        for variable in ("df", "arr", "note"):
            cells = vic.page.locator(
                f".state-table tr[data-name='{variable}'] :is(.var-defined, .var-changed)"
            )
            for index in range(await cells.count()):
                assert await cells.nth(index).evaluate(CLIPPED) == [], (width, variable)
        await vic.page.locator(".state-panel").screenshot(
            path=str(screenshots / f"state-{width}.png")
        )
        await vic.screenshot(screenshots / f"notebook-{width}.png")
    # The value is what gives way: cut short, in full on hover and when unfolded.
    await vic.page.set_viewport_size({"width": 1280, "height": 800})
    value = vic.page.locator(".state-table tr[data-name='note'] .var-value")
    cut = "v => v.scrollWidth > v.clientWidth || v.scrollHeight > v.clientHeight"
    assert await value.evaluate(cut)
    assert "a fairly long string value" in (await value.get_attribute("title") or "")
    await value.click()
    await expect(value).to_have_attribute("aria-expanded", "true")
    assert not await value.evaluate(cut)

    # The side panels resize by their edge, and this browser remembers the width.
    sidebar = vic.page.locator(".sidebar")
    before = (await sidebar.bounding_box() or {"width": 0})["width"]
    handle = await vic.page.locator(".sidebar-resize").bounding_box()
    assert handle is not None
    y = handle["y"] + 200
    await vic.page.mouse.move(handle["x"] + 4, y)
    await vic.page.mouse.down()
    await vic.page.mouse.move(handle["x"] - 146, y, steps=5)
    await vic.page.mouse.up()
    widened = (await sidebar.bounding_box() or {"width": 0})["width"]
    assert abs(widened - (before + 150)) <= 2, (before, widened)
    await vic.page.reload()
    await vic.wait_connected()
    await expect(vic.page.locator(".state-table tr[data-name='df']")).to_be_visible()
    assert abs((await sidebar.bounding_box() or {"width": 0})["width"] - widened) <= 2
    # Wide mode: half the window, back at a click.
    wide = vic.page.get_by_role("button", name="Wide")
    await wide.click()
    await expect(wide).to_have_attribute("aria-pressed", "true")
    half = (await sidebar.bounding_box() or {"width": 0})["width"]
    assert abs(half - (1280 - 64) / 2) <= 4, half
    await vic.page.locator(".state-panel").screenshot(path=str(screenshots / "state-wide-1280.png"))
    await wide.click()
    assert abs((await sidebar.bounding_box() or {"width": 0})["width"] - widened) <= 2
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        for shot in screenshots.glob("*-1*.png"):
            (SHOTS / f"page-{shot.name}").write_bytes(shot.read_bytes())
    for tab in (owner, ada, vic):
        assert tab.errors == []
        await tab.close()
