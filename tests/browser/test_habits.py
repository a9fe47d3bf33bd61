"""A JupyterLab user's reflexes on the notebook page: what their hands do without thinking
must not open a browser dialog or be silently lost."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000

SAVE_KEY_SEEN = """() => {
    window.__saveKeys = []
    window.addEventListener('keydown', (event) => {
        if (event.key.toLowerCase() === 's') window.__saveKeys.push(event.defaultPrevented)
    })
}"""
"""Records, for each S pressed, whether the page kept the browser from acting on it (a
Ctrl+S the page lets through opens Chromium's "Save page as" dialog)."""


async def test_ctrl_s_says_the_notebook_is_saved_instead_of_saving_the_page(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    vic = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vic"
    )
    for tab in (ada, vic):
        await tab.page.evaluate(SAVE_KEY_SEEN)
    # In edit mode, typing, then Ctrl+S as in JupyterLab.
    await ada.edit_end(1)
    await ada.page.keyboard.type("\nz = 3")
    await ada.page.keyboard.press("Control+s")
    await expect(ada.page.locator(".toast", has_text="Saved")).to_contain_text(notebook)
    # In command mode too, and Ctrl+Shift+S (JupyterLab's Save As) is not the page's either.
    await ada.page.keyboard.press("Escape")
    await ada.page.keyboard.press("Control+Shift+s")
    assert await ada.page.evaluate("window.__saveKeys") == [True, True]
    # A viewer has nothing to save: the note points at Download.
    await vic.cell(1).click()
    await vic.page.keyboard.press("Control+s")
    await expect(vic.page.locator(".toast", has_text="Download")).to_be_visible()
    assert await vic.page.evaluate("window.__saveKeys") == [True]
    assert await ada.source(1) == "x = 1\nprint(x)\nz = 3"
    assert ada.errors == []
    assert vic.errors == []
    await ada.close()
    await vic.close()


ACTIVE_INDEX = "() => window.pairbook.view.indexOf(window.pairbook.view.activeCell)"


async def test_after_a_dialog_closes_the_notebook_keys_act_on_the_notebook_again(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    page = ada.page
    await ada.cell(0).click()  # the markdown cell, selected in command mode
    assert await page.evaluate(ACTIVE_INDEX) == 0
    # Invite, clicked and closed: Shift+Enter then moves on in the notebook, as in
    # JupyterLab, instead of pressing Invite again.
    await page.get_by_role("button", name="Invite").click()
    dialog = page.get_by_role("dialog", name="Invite someone to pair")
    await dialog.get_by_role("button", name="Close").click()
    await page.keyboard.press("Shift+Enter")
    assert await page.evaluate(ACTIVE_INDEX) == 1
    await expect(dialog).to_have_count(0)
    # The same after the shortcuts, opened from the toolbar and closed with Escape.
    await page.locator(".toolbar").get_by_role("button", name="Keyboard shortcuts").click()
    await page.keyboard.press("Escape")
    await page.keyboard.press("k")
    assert await page.evaluate(ACTIVE_INDEX) == 0
    # From the keyboard, a dialog still gives the focus back to the button that opened it.
    invite_button = page.get_by_role("button", name="Invite")
    await invite_button.focus()
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(invite_button).to_be_focused()
    assert ada.errors == []
    await ada.close()


async def test_zero_zero_then_enter_restarts_the_kernel_as_in_jupyterlab(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    page = ada.page
    await ada.command_mode(1)
    await page.keyboard.press("Control+Enter")
    await expect(ada.cell(1).locator(".cell-outputs")).to_contain_text("1", timeout=KERNEL_START)
    # 0, 0 asks first; the question's default answer is Restart, as JupyterLab's is.
    await page.keyboard.press("0")
    await page.keyboard.press("0")
    dialog = page.get_by_role("dialog", name="Restart the kernel?")
    await expect(dialog.get_by_role("button", name="Restart")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(dialog).to_have_count(0)
    await expect(page.locator(".kernel-event")).to_contain_text("restarted by")
    # Escape still keeps the kernel, and the focus is back on the cell either way.
    await page.keyboard.press("0")
    await page.keyboard.press("0")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(ada.cell(1)).to_be_focused()
    assert ada.errors == []
    await ada.close()


async def test_restart_and_run_all_runs_every_cell_in_a_fresh_kernel(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    page = ada.page
    await ada.command_mode(1)
    for _ in range(2):
        await page.keyboard.press("Control+Enter")
        await expect(ada.cell(1).locator(".cell-prompt")).not_to_have_text(
            "[*]", timeout=KERNEL_START
        )
    await expect(ada.cell(1).locator(".cell-prompt")).to_have_text("[2]")
    # JupyterLab's ⏩: restart (asked first, Restart the default), then every cell from the top.
    await (await ada.tool("Restart the kernel and run all cells")).click()
    dialog = page.get_by_role("dialog", name="Restart the kernel and run all cells?")
    await expect(dialog.get_by_role("button", name="Restart")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator(".kernel-event")).to_contain_text("restarted by")
    await expect(ada.cell(2).locator(".cell-outputs")).to_contain_text("2", timeout=KERNEL_START)
    await expect(ada.cell(1).locator(".cell-prompt")).to_have_text("[1]")
    await expect(ada.cell(2).locator(".cell-prompt")).to_have_text("[2]")
    assert ada.errors == []
    await ada.close()


async def test_a_download_chosen_with_the_mouse_leaves_the_keys_on_the_notebook(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    page = ada.page
    await ada.cell(0).click()
    download = page.get_by_role("button", name="Download")
    await download.click()
    async with page.expect_download() as saved:
        await page.get_by_role("menu", name="Download").get_by_role("menuitem").last.click()
    assert (await saved.value).suggested_filename == notebook.removesuffix(".ipynb") + ".py"
    # As after JupyterLab's File > Download: Shift+Enter acts on the notebook, not on Download.
    await page.keyboard.press("Shift+Enter")
    assert await page.evaluate(ACTIVE_INDEX) == 1
    await expect(download).to_have_attribute("aria-expanded", "false")
    # Opened from the keyboard, the menu still gives the focus back to its button.
    await download.focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Escape")
    await expect(download).to_be_focused()
    assert ada.errors == []
    await ada.close()


async def test_escape_from_a_menu_opened_with_the_mouse_gives_the_keys_back_to_the_notebook(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    page = ada.page
    await ada.cell(0).click()
    for name in ("Download", "More actions"):
        if name == "More actions":
            await page.set_viewport_size({"width": 1280, "height": 800})  # tools move to "More"
        button = page.get_by_role("button", name=name)
        await button.click()
        await expect(button).to_have_attribute("aria-expanded", "true")
        await page.keyboard.press("Escape")
        await expect(button).to_have_attribute("aria-expanded", "false")
        # As after Escape from a JupyterLab menu: the notebook's keys act on the notebook.
        await expect(ada.cell(0)).to_be_focused()
        await page.keyboard.press("j")
        assert await page.evaluate(ACTIVE_INDEX) == 1
        await page.keyboard.press("k")
        assert await page.evaluate(ACTIVE_INDEX) == 0
    # A second click on the button closes the menu the same way.
    download = page.get_by_role("button", name="Download")
    await download.click()
    await download.click()
    await expect(download).to_have_attribute("aria-expanded", "false")
    await expect(ada.cell(0)).to_be_focused()
    assert ada.errors == []
    await ada.close()
