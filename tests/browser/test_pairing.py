"""Two people in two browsers on one notebook: typing, cells, cursors, undo."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.server import REPO, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

EXAMPLE = REPO / "server" / "pairbook" / "examples" / "01-welcome.ipynb"


def readable_ink(rgb: str) -> str:
    """The text color the client puts on a person's color (see inkOn in presence.ts)."""
    r, g, b = (int(part) / 255 for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3])
    dark = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.6
    return "rgb(29, 35, 48)" if dark else "rgb(255, 255, 255)"


async def test_two_people_typing_in_one_cell_at_once_converge(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    await ada.edit_end(1)
    await bob.edit_end(1)
    await asyncio.gather(
        ada.page.keyboard.type("aaaaaaaaaa", delay=15),
        bob.page.keyboard.type("bbbbbbbbbb", delay=15),
    )
    both = "s => s.split('a').length === 11 && s.split('b').length === 11"
    await ada.wait_source(1, both)
    await bob.wait_source(1, both)
    assert await ada.sources() == await bob.sources()
    text = await ada.source(1)
    assert text.startswith("x = 1\nprint(x)")
    # What each person sees on screen is the document, not just the model.
    for tab in (ada, bob):
        assert await tab.screen_text(1) == text
    assert ada.errors == []
    assert bob.errors == []
    await ada.close()
    await bob.close()


async def test_cells_added_moved_and_retyped_by_one_appear_for_the_other(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    keys = ada.page.keyboard
    # Keyboard only: select the first code cell, B inserts below, Enter edits, Esc leaves.
    await ada.edit_end(1)
    await keys.press("Escape")
    await keys.press("b")
    await keys.press("Enter")
    await keys.type("z = 3")
    await keys.press("Escape")
    await bob.wait_until("nb => nb.cells.length === 4 && nb.cells[2].getSource() === 'z = 3'")
    await expect(bob.cell(2)).to_contain_text("z = 3")
    # Move it up twice with the keyboard; then make it markdown with M.
    await keys.press("Control+Shift+ArrowUp")
    await keys.press("Control+Shift+ArrowUp")
    await bob.wait_until("nb => nb.cells[0].getSource() === 'z = 3'")
    await keys.press("m")
    await bob.wait_until("nb => nb.cells[0].cell_type === 'markdown'")
    await expect(bob.cell(0)).to_have_attribute("data-cell-type", "markdown")
    # The toolbar's buttons do the same; A above, then D, D deletes it again.
    await ada.page.get_by_role("button", name="Move cell down").first.click()
    await bob.wait_until("nb => nb.cells[1].getSource() === 'z = 3'")
    await keys.press("a")
    await bob.wait_until("nb => nb.cells.length === 5 && nb.cells[1].getSource() === ''")
    await keys.press("d")
    await keys.press("d")
    await bob.wait_until("nb => nb.cells.length === 4")
    assert await bob.sources() == await ada.sources()
    assert (await bob.sources())[1:] == ["z = 3", "x = 1\nprint(x)", "y = x + 1\ny"]
    await ada.close()
    await bob.close()


async def test_a_partners_cursor_is_labelled_with_their_name(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    shutil.copy(EXAMPLE, server.root / "welcome.ipynb")
    owner = await NotebookTab.open(browser, server, "welcome.ipynb")
    grace = await NotebookTab.open(
        browser, server, "welcome.ipynb", token=invite(server, "editor"), join_as="Grace Hopper"
    )
    await owner.edit_end(4)
    await owner.page.keyboard.type("  # owner was here")
    await grace.edit_end(2)
    for _ in range(9):  # she selects "greeting)", shown in her color
        await grace.page.keyboard.press("Shift+ArrowLeft")
    label = owner.cell(2).locator(".cm-ySelectionInfo")
    await expect(label).to_have_text("Grace Hopper")
    await expect(label).to_have_css("opacity", "1")  # shown while she moves (4 s), then fades
    background, ink = await label.evaluate(
        "l => [getComputedStyle(l).backgroundColor, getComputedStyle(l).color]"
    )
    assert ink == readable_ink(background), (background, ink)
    await expect(owner.cell(2).locator(".cm-ySelection").first).to_be_visible()
    await expect(grace.cell(4).locator(".cm-ySelectionInfo")).to_have_text("Owner")
    # The participant list says who is here and in which cell.
    people = owner.page.locator(".participants .person")
    await expect(people).to_have_count(2)
    grace_entry = people.filter(has_text="Grace Hopper")
    await expect(grace_entry).to_contain_text("editing cell 3")
    await expect(owner.cell(2).locator(".cell-presence-tag")).to_have_text("Grace Hopper")
    # A viewer whose cursor is in a cell is "on" it, in every page: viewers edit nothing.
    vic = await NotebookTab.open(
        browser, server, "welcome.ipynb", token=invite(server, "viewer"), join_as="Vic"
    )
    await vic.editor(2).click()
    for tab in (owner, vic):
        vic_entry = tab.page.locator(".participants .person").filter(has_text="Vic")
        await expect(vic_entry).to_contain_text("on cell 3")
        await expect(vic_entry).not_to_contain_text("editing")
    await vic.close()
    await grace.page.keyboard.press("Shift+ArrowLeft")  # she moves again: her label shows
    await grace.page.keyboard.press("Shift+ArrowRight")
    await expect(label).to_have_css("opacity", "1")
    await owner.screenshot(screenshots / "screenshot.png")
    await grace.screenshot(screenshots / "screenshot-partner.png")
    assert owner.errors == []
    assert grace.errors == []
    await owner.close()
    await grace.close()


async def test_follow_mode_scrolls_along_with_the_partner(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    long = [f"value_{i} = {i}" for i in range(60)]
    from support.notebooks import write_notebook

    write_notebook(server.root / notebook, long)
    ada = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    await (
        ada.page.locator(".participants .person", has_text="Bob")
        .get_by_role("button", name="Follow Bob")
        .click()
    )
    await expect(ada.page.locator(".banner", has_text="Following Bob")).to_be_visible()
    # Bob walks down to the last cell with the keyboard; Ada's page follows.
    await bob.edit_end(1)
    await bob.page.keyboard.press("Escape")
    await bob.page.keyboard.press("End")
    await expect(ada.cell(60)).to_be_in_viewport()
    await expect(ada.cell(60).locator(".cell-presence-tag")).to_have_text("Bob")
    await ada.close()
    await bob.close()


async def test_undo_reverts_only_your_own_changes(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    await ada.edit_end(1)
    await ada.page.keyboard.type(" # alpha")
    await bob.wait_source(1, "s => s.endsWith(' # alpha')")
    await bob.edit_end(2)
    await bob.page.keyboard.type(" # beta")
    await ada.wait_source(2, "s => s.endsWith(' # beta')")
    await ada.page.keyboard.press("Control+z")
    for tab in (ada, bob):
        await tab.wait_source(1, "s => s === 'x = 1\\nprint(x)'")
        await tab.wait_source(2, "s => s.endsWith(' # beta')")
    # A structural change is undone alone too: Ada adds a cell, Bob keeps typing, Z.
    await ada.page.keyboard.press("Escape")
    await ada.page.keyboard.press("b")
    await bob.wait_until("nb => nb.cells.length === 4")
    await bob.page.keyboard.type(" gamma")  # Bob's cell is the 4th now
    await ada.wait_source(3, "s => s.endsWith(' # beta gamma')")
    await ada.page.keyboard.press("z")
    for tab in (ada, bob):
        await tab.wait_until("nb => nb.cells.length === 3")
        await tab.wait_source(2, "s => s.endsWith(' # beta gamma')")
    # Ada's redo brings her text back; Bob's stays where it is.
    await (await ada.tool("Redo your change")).click()
    await bob.wait_until("nb => nb.cells.length === 4")
    assert await ada.sources() == await bob.sources()
    await ada.close()
    await bob.close()
