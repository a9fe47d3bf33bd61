"""The shared kernel from the browser: runs attributed to who asked, seen by everyone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""


async def my_name(tab: NotebookTab) -> str:
    name: str = await tab.page.evaluate("() => window.pairbook.awareness.getLocalState().user.name")
    return name


async def test_a_run_by_one_shows_its_output_and_attribution_to_the_other(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    viewer = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vera"
    )
    owner = await my_name(ada)
    console_errors: list[str] = []
    for tab in (ada, bob):
        tab.page.on(
            "console", lambda m: console_errors.append(m.text) if m.type == "error" else None
        )

    # Ada types and presses Shift+Enter at once: the run sees what she just typed.
    await ada.edit_end(1)
    await ada.page.keyboard.type("\nprint('hello from', x + 41)")
    await ada.page.keyboard.press("Shift+Enter")
    for tab in (ada, bob, viewer):
        await expect(tab.cell(1).locator(".cell-outputs")).to_contain_text(
            "hello from 42", timeout=KERNEL_START
        )
        badge = tab.cell(1).locator(".run-badge")
        await expect(badge).to_contain_text(f"run by {owner}")
        await expect(badge).to_contain_text("[1]")
    # Shift+Enter moved Ada on to the next cell.
    await expect(ada.cell(2)).to_have_class("cell cell-code active")
    # Everyone sees the kernel's name and state.
    await expect(bob.page.locator(".kernel-status")).to_contain_text("idle")

    # Bob runs the next cell with its Run button; Ada sees his name on it.
    await bob.cell(2).hover()
    await bob.cell(2).get_by_role("button", name="Run cell").click()
    await expect(ada.cell(2).locator(".cell-outputs")).to_contain_text("2")
    await expect(ada.cell(2).locator(".run-badge")).to_contain_text("run by Bob")
    await expect(ada.cell(2).locator(".run-badge")).to_contain_text("[2]")
    bob_color = await bob.page.evaluate(
        "() => window.pairbook.awareness.getLocalState().user.color"
    )
    dot_color = (
        await ada.cell(2)
        .locator(".run-badge .run-dot")
        .evaluate("dot => getComputedStyle(dot).getPropertyValue('--person').trim()")
    )
    assert dot_color.lower() == bob_color.lower()

    # Viewers get no way to run anything.
    await expect(viewer.page.get_by_role("button", name="Run cell")).to_have_count(0)
    await expect(viewer.page.get_by_role("button", name="Run all cells")).to_have_count(0)
    await expect(viewer.page.get_by_role("button", name="Restart the kernel")).to_have_count(0)

    # Ada runs her cell again; the badge's history lists both runs, newest first.
    await ada.cell(1).hover()
    await ada.cell(1).get_by_role("button", name="Run cell").click()
    await expect(bob.cell(1).locator(".run-badge")).to_contain_text("[3]")
    await bob.cell(1).locator(".run-badge").click()
    runs = bob.cell(1).locator(".run-list-item")
    await expect(runs).to_have_count(2)
    await expect(runs.first).to_contain_text("[3]")
    await expect(runs.nth(1)).to_contain_text("[1]")

    # Bob edits Ada's cell: everyone sees it changed since her run.
    await bob.edit_end(1)
    await bob.page.keyboard.type("  # Bob was here")
    await expect(ada.cell(1).locator(".run-badge")).to_contain_text(f"run by {owner}")
    await expect(ada.cell(1).locator(".run-badge")).to_contain_text("edited since")
    await bob.page.keyboard.press("Escape")
    await bob.cell(1).locator(".run-badge").click()  # close the history again
    await ada.page.locator(".cells").click(position={"x": 5, "y": 5})
    await ada.page.mouse.move(0, 0)
    await ada.screenshot(screenshots / "kernel.png")

    # pairbook's replies and events never reach y-websocket's "unknown message" path.
    assert console_errors == []
    for tab in (ada, bob, viewer):
        assert tab.errors == []
        await tab.close()


async def test_the_queue_and_interrupting_a_sleeping_loop_from_the_toolbar(
    browser: Browser, server: ServerProcess
) -> None:
    name = "interrupt-from-the-toolbar.ipynb"
    loop = "import time\nprint('looping', flush=True)\nfor i in range(600):\n    time.sleep(0.1)"
    write_notebook(server.root / name, [loop, "'after the loop'"])
    ada = await NotebookTab.open(browser, server, name)
    bob = await NotebookTab.open(
        browser, server, name, token=invite(server, "editor"), join_as="Bob"
    )
    await ada.cell(1).hover()
    await ada.cell(1).get_by_role("button", name="Run cell").click()
    await expect(bob.cell(1).locator(".run-badge")).to_contain_text("running", timeout=KERNEL_START)
    await expect(bob.page.locator(".kernel-current")).to_contain_text("Cell 2 running for")
    # Interrupt once the loop is really running (a SIGINT that lands before the kernel
    # starts the code can be lost: see the report).
    await expect(bob.cell(1).locator(".cell-outputs")).to_contain_text("looping")
    # Bob queues the next cell: everyone sees who queued what; the owner may cancel it.
    await bob.cell(2).hover()
    await bob.cell(2).get_by_role("button", name="Run cell").click()
    await expect(ada.page.locator(".kernel-queue")).to_contain_text("Cell 3 queued by Bob")
    await expect(ada.cell(2).locator(".run-badge")).to_contain_text("queued by Bob")
    await expect(bob.page.get_by_role("button", name="Cancel Cell 3 queued by Bob")).to_be_visible()
    await ada.page.get_by_role("button", name="Cancel Cell 3 queued by Bob").click()
    await expect(bob.page.locator(".kernel-queue .kernel-run")).to_have_count(0)
    await expect(bob.cell(2).locator(".run-badge")).to_contain_text("cancelled")
    await bob.page.get_by_role("button", name="Interrupt the kernel").click()
    for tab in (ada, bob):
        await expect(tab.cell(1).locator(".run-badge")).to_contain_text("interrupted")
        await expect(tab.cell(1).locator(".cell-outputs")).to_contain_text("KeyboardInterrupt")
        await expect(tab.page.locator(".kernel-event")).to_contain_text("interrupted by Bob")
    assert ada.errors == []
    assert bob.errors == []
    await ada.close()
    await bob.close()


async def test_input_prompts_the_person_who_ran_the_cell(
    browser: Browser, server: ServerProcess
) -> None:
    name = "input-prompt.ipynb"
    write_notebook(server.root / name, ["word = input('Word? ')\nprint('got', word)"])
    ada = await NotebookTab.open(browser, server, name)
    bob = await NotebookTab.open(
        browser, server, name, token=invite(server, "editor"), join_as="Bob"
    )
    await bob.cell(1).hover()
    await bob.cell(1).get_by_role("button", name="Run cell").click()
    field = bob.cell(1).get_by_label("Word?")
    await field.wait_for(timeout=KERNEL_START)
    await expect(ada.cell(1).locator(".run-badge")).to_contain_text("waiting for Bob's input")
    await expect(ada.cell(1).locator(".cell-input-request")).to_have_count(0)
    await field.fill("pairing")
    await field.press("Enter")
    for tab in (ada, bob):
        # The prompt and its answer are echoed for everyone, before what the code printed.
        await expect(tab.cell(1).locator(".cell-outputs")).to_contain_text(
            "Word? pairing\ngot pairing"
        )
        await expect(tab.cell(1).locator(".run-badge")).to_contain_text("run by Bob")
    await expect(bob.cell(1).locator(".cell-input-request")).to_have_count(0)
    assert ada.errors == []
    assert bob.errors == []
    await ada.close()
    await bob.close()


async def test_an_input_prompt_with_the_keyboard_is_neither_edit_nor_command_mode(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    name = "input-mode.ipynb"
    write_notebook(server.root / name, ["word = input('Word? ')\nprint('got', word)"])
    tab = await NotebookTab.open(browser, server, name)
    label = tab.page.locator(".toolbar .mode-label")
    await tab.edit_end(1)
    await expect(label).to_have_text("Edit mode")
    await tab.page.keyboard.press("Control+Enter")  # runs, and would stay in the editor
    field = tab.cell(1).get_by_label("Word?")
    await expect(field).to_be_focused(timeout=KERNEL_START)
    # As in JupyterLab: the prompt has the keyboard, no cell is being edited.
    await expect(label).to_have_text("Answering input()")
    await expect(tab.cell(1)).not_to_have_class(re.compile(r"\bmode-edit\b"))
    await tab.page.keyboard.type("pair")
    await tab.screenshot(screenshots / "input-mode.png")
    # Into the cell's editor and back to the prompt: the label follows the keyboard.
    await tab.editor(1).click()
    await expect(label).to_have_text("Edit mode")
    await field.click()
    await expect(label).to_have_text("Answering input()")
    await expect(tab.cell(1)).not_to_have_class(re.compile(r"\bmode-edit\b"))
    # Escape keeps the answer, and the keyboard in the prompt.
    await tab.page.keyboard.press("Escape")
    await expect(field).to_have_value("pair")
    await expect(field).to_be_focused()
    await expect(label).to_have_text("Answering input()")
    await tab.page.keyboard.type("ing")
    await tab.page.keyboard.press("Enter")
    await expect(tab.cell(1).locator(".cell-outputs")).to_contain_text("Word? pairing\ngot pairing")
    # Answered: the keyboard is back on the cell, in command mode.
    await expect(label).to_have_text("Command mode")
    await expect(tab.cell(1)).to_be_focused()
    assert tab.errors == []
    await tab.close()


async def test_the_owner_picks_the_kernel_and_run_below_runs_every_cell_below(
    browser: Browser, server: ServerProcess
) -> None:
    name = "kernel-picker-and-run-below.ipynb"
    write_notebook(
        server.root / name,
        ["a = 40\nprint('first', a)", "print('second', a + 1)", "print('third', a + 2)"],
    )
    ada = await NotebookTab.open(browser, server, name)
    bob = await NotebookTab.open(
        browser, server, name, token=invite(server, "editor"), join_as="Bob"
    )
    # The owner gets a picker listing the installed kernels; an editor only the name.
    picker = ada.page.get_by_role("combobox", name="Kernel")
    await expect(picker).to_be_visible()
    await expect(picker.locator("option[value='python3']")).to_have_count(1)
    await expect(picker).to_have_value("python3")
    await expect(bob.page.get_by_role("combobox", name="Kernel")).to_have_count(0)
    await expect(bob.page.locator(".kernel-panel .kernel-name")).not_to_be_empty()

    # Bob selects the first code cell and runs it and everything below.
    await bob.cell(1).click()
    await (await bob.tool("Run the selected cell and all cells below")).click()
    for tab in (ada, bob):
        await expect(tab.cell(1).locator(".cell-outputs")).to_contain_text(
            "first 40", timeout=KERNEL_START
        )
        await expect(tab.cell(2).locator(".cell-outputs")).to_contain_text("second 41")
        await expect(tab.cell(3).locator(".cell-outputs")).to_contain_text("third 42")
        await expect(tab.cell(3).locator(".run-badge")).to_contain_text("run by Bob")
    # Once the kernel has started, the editor sees its name in the panel.
    await expect(bob.page.locator(".kernel-panel .kernel-name")).not_to_have_text("No kernel yet")
    # 0, 0 in command mode asks before restarting; Cancel keeps the kernel.
    await bob.command_mode(3)
    await bob.page.keyboard.press("0")
    await bob.page.keyboard.press("0")
    dialog = bob.page.get_by_role("dialog", name="Restart the kernel?")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_have_count(0)
    assert ada.errors == []
    assert bob.errors == []
    await ada.close()
    await bob.close()
