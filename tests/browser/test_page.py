"""The notebook page's polish with three people (owner, editor, viewer): the toolbar fits at
1280 px, a person in two tabs is listed once, a partner's caret leaves with them, the same
refusal does not stack, the Help dialog opens at its top, and no Yjs warning in the console."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, ConsoleMessage, expect

from support.browser import NotebookTab, invite
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SHOTS = Path("/work/notes/shots")


def keep(tab: NotebookTab, messages: list[str]) -> None:
    def note(message: ConsoleMessage) -> None:
        messages.append(message.text)

    tab.page.on("console", note)


async def test_the_toolbar_fits_and_people_tabs_carets_toasts_and_help_behave(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    console: list[str] = []
    owner = await NotebookTab.open(browser, server, notebook)
    keep(owner, console)
    ada_token = invite(server, "editor")
    ada = await NotebookTab.open(browser, server, notebook, token=ada_token, join_as="Ada")
    keep(ada, console)
    vic = await NotebookTab.open(browser, server, notebook, token=invite(server, "viewer"),
                                 join_as="Vic")  # fmt: skip
    keep(vic, console)

    # The toolbar fits at 1280 px, for the owner (the most controls) and the viewer.
    for width in (1280, 1920):
        for tab in (owner, vic):
            await tab.page.set_viewport_size({"width": width, "height": 800})
            await tab.page.locator(".toolbar").screenshot(
                path=str(
                    screenshots / f"toolbar-{width}-{'owner' if tab is owner else 'viewer'}.png"
                )
            )
            assert await tab.toolbar_overflow() == {"overflow": 0, "out": []}, width
            # The top bar too: a long notebook name gives way, the buttons keep one line.
            assert await tab.page.locator(".topbar").evaluate("t => t.scrollWidth <= t.clientWidth")
        if width == 1920:  # room again: every tool is back in the toolbar
            await expect(owner.page.locator(".tool-more")).to_be_hidden()
            undo = owner.page.locator(".toolbar").get_by_role(
                "button", name="Undo your last change"
            )
            await expect(undo).to_be_visible()
        invite_box = await owner.page.get_by_role("button", name="Invite someone").bounding_box()
        assert invite_box is not None
        assert invite_box["height"] < 40, invite_box
        await owner.screenshot(screenshots / f"notebook-owner-{width}.png")

    # The "More" menu holds what did not fit, each tool saying what it does.
    await owner.page.set_viewport_size({"width": 1280, "height": 800})
    await owner.page.get_by_role("button", name="More actions").click()
    undo = owner.page.locator(".tool-more-menu").get_by_role(
        "menuitem", name="Undo your last change"
    )
    await expect(undo).to_be_in_viewport(ratio=1)
    await owner.screenshot(screenshots / "toolbar-more-1280.png")
    await owner.page.keyboard.press("Escape")
    await expect(undo).to_be_hidden()

    # Ada opens a second tab: she is one person here, in two tabs.
    second = await ada.context.new_page()
    ada2 = NotebookTab(second)
    keep(ada2, console)
    await second.goto(ada.page.url)
    await ada2.wait_connected()
    ada_entry = owner.page.locator(".participants .person", has_text="Ada")
    await expect(ada_entry).to_contain_text("2 tabs")
    await expect(ada_entry).to_have_count(1)
    await expect(owner.page.locator(".participants .count")).to_have_text("(3)")
    await expect(owner.page.locator(".header-avatars .avatar")).to_have_count(3)
    await owner.page.locator(".participants").screenshot(path=str(screenshots / "people-tabs.png"))
    await second.close()
    await expect(ada_entry).not_to_contain_text("tabs")

    # Ada's caret shows in the cell she types in, and goes when she moves to another cell.
    await ada.edit_end(1)
    await ada.page.keyboard.type("  # ada")
    caret = owner.cell(1).locator(".cm-ySelectionCaret")
    await expect(caret).to_be_visible()
    await ada.page.keyboard.press("Escape")
    await ada.page.keyboard.press("ArrowDown")
    await expect(owner.cell(2).locator(".cell-avatars")).to_contain_text("A")
    await expect(caret).to_be_hidden()
    await ada.edit_end(2)
    await ada.page.keyboard.type("  # here now")
    await expect(owner.cell(2).locator(".cm-ySelectionCaret")).to_be_visible()
    await expect(caret).to_be_hidden()

    # The viewer typing into a cell hears why nothing happens, once, under that cell.
    await vic.editor(1).click()
    await vic.page.keyboard.type("abc")
    await expect(vic.cell(1).locator(".lock-note")).to_have_text(
        "You are viewing this notebook: viewers do not edit or run cells. (3 keys not typed)×"
    )
    await vic.page.keyboard.press("Control+Enter")
    await expect(vic.page.locator(".lock-note")).to_have_count(1)
    # The same refusal, again and again, is one toast that counts.
    await vic.page.keyboard.press("Escape")
    for _ in range(3):
        await vic.page.keyboard.press("b")
    toast = vic.page.locator(".toast")
    await expect(toast).to_have_count(1)
    await expect(toast).to_contain_text("× 3")

    # Help opens at its top, even in a short window where it scrolls.
    await owner.page.set_viewport_size({"width": 1280, "height": 520})
    await owner.command_mode(1)
    await owner.page.keyboard.press("h")
    dialog = owner.page.locator("dialog[open]")
    await expect(dialog).to_be_visible()
    assert await dialog.evaluate("d => d.scrollHeight > d.clientHeight")
    assert await dialog.evaluate("d => d.scrollTop") == 0
    await expect(dialog.get_by_role("heading", name="Keyboard shortcuts")).to_be_in_viewport()
    await owner.screenshot(screenshots / "help-520.png")
    await owner.page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)

    # New, moved and retyped cells: no Yjs "Invalid access" warning in anyone's console.
    await owner.page.set_viewport_size({"width": 1280, "height": 800})
    await owner.command_mode(1)
    for key in ("b", "m", "y", "a"):
        await owner.page.keyboard.press(key)
    await owner.page.locator(".toolbar").get_by_role("button", name="Move cell down").click()
    await ada.wait_until("nb => nb.cells.length === 5")
    assert [m for m in console if "Invalid access" in m] == []
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        for shot in screenshots.glob("*.png"):
            (SHOTS / f"page-{shot.name}").write_bytes(shot.read_bytes())
    for tab in (owner, ada, vic):
        assert tab.errors == []
        await tab.close()


OPAQUE = """bar => {
    // Only the bar's own paint: its tools hidden, what shows through is what lies under it.
    for (const child of bar.children) child.style.visibility = 'hidden'
    const box = bar.getBoundingClientRect()
    return { x: box.x, y: box.y, width: box.width, height: box.height - 1 }  // not the border
}"""


async def test_cells_scrolled_under_the_toolbar_do_not_show_through_it(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    name = "toolbar-over-cells.ipynb"
    write_notebook(server.root / name, ["# " + "█" * 60 + "\n" for _ in range(40)])
    tab = await NotebookTab.open(browser, server, name)
    bar = tab.page.locator(".toolbar")
    # A cell's code scrolled to just under the toolbar's top: it would show through a
    # translucent bar.
    await tab.cell(10).locator(".cm-line").first.wait_for()
    await tab.page.evaluate(
        """() => {
            const bar = document.querySelector('.toolbar').getBoundingClientRect()
            const line = document.querySelectorAll('.cells > .cell')[10].querySelector('.cm-line')
            window.scrollBy(0, line.getBoundingClientRect().top - bar.top - 8)
        }"""
    )
    await tab.page.wait_for_function(
        """() => {
            const bar = document.querySelector('.toolbar').getBoundingClientRect()
            const line = document.querySelectorAll('.cells > .cell')[10].querySelector('.cm-line')
            const r = line.getBoundingClientRect()
            return r.top < bar.bottom && r.bottom > bar.top
        }"""
    )
    await tab.screenshot(screenshots / "toolbar-over-cells.png")
    box = await bar.evaluate(OPAQUE)
    shot = await tab.page.screenshot(clip=box)
    colors = Image.open(io.BytesIO(shot)).convert("RGB").getcolors(maxcolors=1 << 16)
    assert colors is not None
    assert len(colors) == 1, sorted(colors, reverse=True)[:5]
    assert tab.errors == []
    await tab.close()
