"""What a JupyterLab user expects of the notebook page: File > Download (the .ipynb and the
.py), menus that follow the WAI-ARIA menu button pattern, buttons whose accessible name holds
their visible label (WCAG 2.5.3), and DataFrames styled as JupyterLab styles them."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import nbformat
import pytest
import pytest_asyncio
from nbformat.v4 import new_code_cell, new_notebook, new_output
from playwright.async_api import Browser, Locator, Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from support.browser import NotebookTab, invite
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


def words(text: str) -> str:
    """Lower-case words, one space apart: symbols (▾, ✓, ×) are not a label's words."""
    return " ".join(re.sub(r"[^\w.]+", " ", text.lower().replace("_", " ")).split())


async def accessible_name(control: Locator) -> str | None:
    """The control's accessible name; None when it left the page since it was found."""
    try:
        snapshot = await control.aria_snapshot(timeout=2000)
    except PlaywrightTimeoutError:
        return None
    if not snapshot:
        return None  # hidden since it was found
    # `- button "Name"`, quoted as YAML when the name holds a colon: `- 'button "a: b"'`.
    line = snapshot.splitlines()[0].removeprefix("- ").removeprefix("'").replace("''", "'")
    found = re.match(r'[\w-]+ "((?:[^"\\]|\\.)*)"', line)
    return json.loads(f'"{found.group(1)}"') if found else ""


TAG_AND_READ = """(controls) => {
    for (const old of document.querySelectorAll('[data-label-scan]')) delete old.dataset.labelScan
    const text = (node) => node.nodeType === Node.TEXT_NODE ? node.textContent
        : node instanceof Element && node.getAttribute('aria-hidden') === 'true' ? ''
        : [...node.childNodes].map(text).join('')
    return controls.map((control, index) => {
        control.dataset.labelScan = String(index)
        return text(control)
    })
}"""
"""Tag every control and read what it shows (without what it hides from assistive
technology) in one go: the page may re-render a list while it is scanned, and reading the
n-th match twice could pair one control's text with another's name."""


async def labels_missing_from_names(page: Page, scope: str = "body") -> list[str]:
    """Every shown control in `scope` whose accessible name lacks its visible label."""
    controls = page.locator(scope).locator(
        "button:visible, [role^='menuitem']:visible, a.btn:visible"
    )
    missing = []
    for index, text in enumerate(await controls.evaluate_all(TAG_AND_READ)):
        shown = words(text)
        if not shown:
            continue  # an icon or a symbol: named by its aria-label
        name = await accessible_name(page.locator(f"[data-label-scan='{index}']"))
        if name is None:
            continue  # re-rendered since it was read: gone
        if f" {shown} " not in f" {words(name)} ":
            missing.append(f"{shown!r} named {name!r}")
    return missing


async def test_a_notebook_downloads_as_ipynb_and_py_with_the_latest_edit(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    owner = await NotebookTab.open(browser, server, notebook)
    vic = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vic"
    )
    await owner.edit_end(1)
    await owner.page.keyboard.type("  # edited")
    await vic.wait_source(1, "s => s.endsWith('# edited')")  # the server has the edit

    page = vic.page  # a viewer may download what they may read
    toggle = page.get_by_role("button", name="Download")
    await toggle.click()
    menu = page.get_by_role("menu", name="Download")
    await expect(menu).to_be_visible()
    await page.screenshot(path=str(screenshots / "download-menu.png"))
    async with page.expect_download() as ipynb_info:
        await menu.get_by_role("menuitem", name="Notebook (.ipynb)").click()
    ipynb = await ipynb_info.value
    assert ipynb.suggested_filename == notebook
    nb = nbformat.reads(Path(await ipynb.path()).read_text(), as_version=4)
    assert nb.cells[1].source == "x = 1\nprint(x)  # edited"
    assert nb.cells[1].outputs[0]["text"] == "1\n"  # as its file holds it: outputs too
    await expect(menu).to_be_hidden()

    await toggle.click()
    async with page.expect_download() as py_info:
        await menu.get_by_role("menuitem", name="Python script (.py)").click()
    script = await py_info.value
    assert script.suggested_filename == notebook.removesuffix(".ipynb") + ".py"
    text = Path(await script.path()).read_text()
    assert "# %% [markdown]\n# # Test notebook" in text
    assert "# %%\nx = 1\nprint(x)  # edited\n" in text
    for tab in (owner, vic):
        assert tab.errors == []
        await tab.close()


@pytest_asyncio.fixture(loop_scope="session")
async def owner(
    browser: Browser, server: ServerProcess, notebook: str
) -> AsyncIterator[NotebookTab]:
    """The owner's tab, 1280 px wide: the toolbar moves what does not fit into "More"."""
    tab = await NotebookTab.open(browser, server, notebook)
    await tab.page.set_viewport_size({"width": 1280, "height": 800})
    yield tab
    await tab.close()


async def test_menus_open_on_an_item_move_with_arrows_and_give_the_focus_back(
    owner: NotebookTab, screenshots: Path
) -> None:
    page = owner.page
    more = page.locator(".toolbar").get_by_role("button", name="More actions")
    await expect(more).to_have_attribute("aria-haspopup", "menu")
    menu = page.get_by_role("menu", name="More actions")
    items = menu.locator("[role^='menuitem']:visible")

    await more.focus()
    await page.keyboard.press("Enter")
    await expect(more).to_have_attribute("aria-expanded", "true")
    await expect(items.first).to_be_focused()
    count = await items.count()
    assert count >= 3
    await page.keyboard.press("ArrowDown")
    await expect(items.nth(1)).to_be_focused()
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("ArrowUp")  # from the first: round to the last
    await expect(items.nth(count - 1)).to_be_focused()
    await page.keyboard.press("Home")
    await expect(items.first).to_be_focused()
    await page.keyboard.press("End")
    await expect(items.nth(count - 1)).to_be_focused()
    await page.screenshot(path=str(screenshots / "more-menu-keyboard.png"))
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(more).to_be_focused()
    await expect(more).to_have_attribute("aria-expanded", "false")

    await page.keyboard.press("ArrowUp")  # opens on the last item
    await expect(items.nth(count - 1)).to_be_focused()
    await page.keyboard.press("Tab")  # closes, and moves on from the button
    await expect(menu).to_be_hidden()
    assert await page.locator(".tool-more-menu").evaluate(
        "m => !m.contains(document.activeElement)"
    )

    # An item chosen from the keyboard does its work and closes the menu.
    await owner.command_mode(1)
    await more.focus()
    await page.keyboard.press("Enter")
    undo = menu.get_by_role("menuitem", name="Undo your last change")
    for _ in range(count):
        if await undo.evaluate("e => e === document.activeElement"):
            break
        await page.keyboard.press("ArrowDown")
    await expect(undo).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(menu).to_be_hidden()

    # The Download menu, opened with the pointer, behaves the same, except that Escape gives
    # the focus back to where it was (test_habits: the notebook), not to the button.
    download = page.get_by_role("button", name="Download")
    await owner.cell(0).click()
    await download.click()
    download_items = page.get_by_role("menu", name="Download").get_by_role("menuitem")
    await expect(download_items.first).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(download_items.nth(1)).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(download_items.first).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(download_items.first).to_be_hidden()
    await expect(owner.cell(0)).to_be_focused()
    assert owner.errors == []


async def test_every_button_is_named_by_what_it_shows(
    owner: NotebookTab, screenshots: Path
) -> None:
    page = owner.page
    # The toolbar has moved what does not fit into "More" (one layout pass, after the resize).
    await expect(page.locator(".tool-more")).to_be_visible()
    assert await labels_missing_from_names(page) == []
    await page.locator(".toolbar").get_by_role("button", name="More actions").click()
    assert await labels_missing_from_names(page, ".tool-more-menu") == []
    await page.keyboard.press("Escape")
    await page.get_by_role("button", name="Download").click()
    assert await labels_missing_from_names(page, ".download-menu") == []
    await page.keyboard.press("Escape")

    # The invite dialog: a speech user says what they see.
    await page.get_by_role("button", name="Invite").click()
    dialog = page.locator("dialog[open]")
    await expect(dialog.get_by_role("button", name="Editor link")).to_be_visible()
    await expect(dialog.get_by_role("button", name="Viewer link")).to_be_visible()
    assert await labels_missing_from_names(page, "dialog[open]") == []
    await dialog.get_by_role("button", name="Viewer link").click()
    await expect(dialog.locator(".invite-url")).not_to_have_value("")
    await dialog.screenshot(path=str(screenshots / "invite-dialog.png"))
    await dialog.get_by_role("button", name="Close").click()

    await page.get_by_role("button", name="People").click()
    # The dialog lists the people once its request answers: scanned before, a row inserted
    # mid-scan paired the Close button's text with a Revoke button's name.
    await expect(
        page.locator("dialog[open]").get_by_role("heading", name="Owner logins")
    ).to_be_visible()
    assert await labels_missing_from_names(page, "dialog[open]") == []
    await page.keyboard.press("Escape")

    # Mob mode's panel, with its own buttons.
    await (
        page.locator(".mob-panel").get_by_role("button", name="Mob mode: one driver types").click()
    )
    point = page.locator(".mob-panel").get_by_role("button", name="Point here")
    await expect(point).to_be_visible()
    assert await labels_missing_from_names(page, ".sidebar") == []
    assert await labels_missing_from_names(page, ".toolbar") == []
    assert owner.errors == []


def dataframe_html() -> str:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(
        {"city": ["Oslo", "Lima", "Pune"], "rain_mm": [763.0, 6.4, 722.1], "days": [181, 12, 95]}
    )
    html: str = frame._repr_html_()
    return html


async def test_a_dataframe_looks_as_it_does_in_jupyterlab(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    cell = new_code_cell("frame", id="frame")
    cell.outputs = [new_output("execute_result", data={"text/html": dataframe_html()})]
    cell.execution_count = 1
    nbformat.write(new_notebook(cells=[cell]), server.root / "dataframe.ipynb")
    tab = await NotebookTab.open(browser, server, "dataframe.ipynb")
    table = tab.cell(0).locator(".output-html table.dataframe")
    await expect(table).to_be_visible()
    assert await tab.cell(0).locator(".output-html style").count() == 0  # still sanitized

    async def style(locator: Locator, prop: str) -> object:
        return await locator.evaluate(f"e => getComputedStyle(e).{prop}")

    rows = table.locator("tbody tr")
    assert await style(table.locator("td").first, "textAlign") == "right"
    assert await style(table.locator("thead th").nth(1), "textAlign") == "right"
    assert await style(table.locator("tbody th").first, "fontWeight") == "700"
    assert await style(table.locator("td").first, "borderTopStyle") == "none"
    assert await style(table.locator("td").first, "borderBottomStyle") == "none"
    assert await style(table.locator("thead"), "borderBottom") == "1px solid rgb(189, 189, 189)"
    assert await style(rows.nth(0), "backgroundColor") == "rgb(255, 255, 255)"
    assert await style(rows.nth(1), "backgroundColor") == "rgb(245, 245, 245)"
    await rows.nth(2).hover()
    await expect(rows.nth(2)).to_have_css("background-color", "rgb(225, 245, 254)")
    await tab.cell(0).screenshot(path=str(screenshots / "dataframe.png"))
    assert tab.errors == []
    await tab.close()
