"""The editor knows Python: indentation, the shared kernel's completion (Tab) and help
(Shift-Tab) shown to the person who asked only, and find & replace across the notebook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, expect

from support.browser import NotebookTab, invite
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
SHOTS = Path("/work/notes/shots")
POPUP = ".cm-tooltip-autocomplete"


def option(popup: Locator, label: str) -> Locator:
    """The popup's option whose label is exactly `label`."""
    name = popup.page.locator(".cm-completionLabel").filter(has_text=re.compile(f"^{label}$"))
    return popup.get_by_role("option").filter(has=name)


async def test_completion_and_help_from_the_kernel_reach_only_the_asker(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada, bob = await NotebookTab.pair(browser, server, notebook)
    keys = ada.page.keyboard
    # The kernel starts with a first run.
    await ada.edit_end(1)
    await keys.press("Control+Enter")
    await expect(ada.cell(1).locator(".run-badge")).to_contain_text("[1]", timeout=KERNEL_START)
    await bob.edit_end(2)  # Bob is in the cell Ada is about to complete in

    # Tab after `import o`: the kernel's modules, in Ada's page only.
    await ada.edit_end(2)
    await keys.type("\nimport o")
    await keys.press("Tab")
    popup = ada.page.locator(POPUP)
    # The kernel's first completion waits for its jedi warm-up (started with the kernel):
    # about a second on a quiet machine, tens of seconds at a load average of 12.
    await expect(option(popup, "os")).to_be_visible(timeout=KERNEL_START)
    await option(popup, "os").click()
    await ada.wait_source(2, "s => s.endsWith('\\nimport os')")
    await keys.press("Control+Enter")
    await expect(ada.cell(2)).to_have_attribute("data-run", "ok", timeout=KERNEL_START)
    # The run's state probe has read the namespace: the kernel knows `os` when asked.
    where = ada.page.get_by_role("button", name="Go to cell 3, where os was defined")
    await expect(where).to_be_visible(timeout=KERNEL_START)

    await ada.edit_end(2)
    await keys.type("\nos.path")
    await ada.wait_source(2, "s => s.endsWith('\\nos.path')")

    # Shift-Tab after `os.path.join(`: the docstring, as text, for Ada only.
    await keys.type(".join(")
    await keys.press("Shift+Tab")
    help_ = ada.page.locator(".cm-kernel-help")
    # An answer of the kernel: seconds at a load average of 12 (the server waits 10 s).
    await expect(help_).to_contain_text(
        "Join two or more pathname components", timeout=KERNEL_START
    )
    assert await help_.locator("pre").evaluate("pre => pre.children.length") == 0
    await expect(help_).not_to_contain_text("\x1b[")
    for width in (1280, 1920):
        await ada.page.set_viewport_size({"width": width, "height": 900})
        await expect(help_).to_be_visible()
        await ada.screenshot(SHOTS / f"editor-inspect-{width}.png")
    await expect(bob.page.locator(".cm-kernel-help")).to_have_count(0)
    await keys.press("Escape")
    await expect(help_).to_have_count(0)
    # Escape closed the help, not edit mode.
    await expect(ada.cell(2)).to_have_class(re.compile(r"\bmode-edit\b"))

    # Vera, a viewer, may ask for help (it only reads) but gets no completions.
    vera = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vera"
    )
    await vera.wait_source(2, "s => s.endsWith('os.path.join()')")
    await vera.edit_end(2)
    await vera.page.keyboard.press("Tab")
    await vera.page.keyboard.press("Shift+Tab")
    await expect(vera.page.locator(".cm-kernel-help")).to_contain_text(
        "Join two or more", timeout=KERNEL_START
    )
    await expect(vera.page.locator(POPUP)).to_have_count(0)
    assert await vera.source(2) == await ada.source(2)  # her Tab changed nothing
    for tab in (ada, bob, vera):
        assert tab.errors == []
        await tab.close()


async def test_python_indentation_is_four_spaces_and_tab_indents(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    keys = ada.page.keyboard
    await ada.edit_end(2)
    await keys.type("\ndef f():\nif y:\nreturn 1")
    await ada.wait_source(2, "s => s.endsWith('def f():\\n    if y:\\n        return 1')")
    # Tab at the start of a line indents to the next stop; Shift-Tab there dedents.
    await keys.press("Enter")
    await keys.press("Shift+Tab")
    await keys.press("Shift+Tab")
    await keys.press("Tab")
    await keys.type("z = 2")
    await ada.wait_source(2, "s => s.endsWith('        return 1\\n    z = 2')")
    # Ctrl-/ comments the line out.
    await keys.press("Control+/")
    await ada.wait_source(2, "s => s.endsWith('\\n    # z = 2')")
    # Multi-cursor: Ctrl-D takes the next occurrence too; typing replaces each.
    await keys.press("End")
    await keys.type("\nab = ab + ab")
    await ada.wait_source(2, "s => s.endsWith('ab = ab + ab')")
    await keys.press("Home")  # to the line's text, after its indentation
    await keys.press("Shift+ArrowRight")
    await keys.press("Shift+ArrowRight")
    await keys.press("Control+d")
    await keys.press("Control+d")
    await keys.type("cd")
    await ada.wait_source(2, "s => s.endsWith('\\n    cd = cd + cd')")
    assert ada.errors == []
    await ada.close()


async def test_find_and_replace_across_the_notebook_syncs_and_undoes(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada, bob = await NotebookTab.pair(browser, server, notebook)
    vera = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vera"
    )
    keys = ada.page.keyboard
    await ada.command_mode(1)
    await keys.press("Control+f")  # command mode: the notebook's search, not the browser's
    bar = ada.page.get_by_role("search", name="Find and replace in the notebook")
    await expect(bar).to_be_visible()
    await keys.type("x")
    # `x` is in both code cells: 3 matches (x = 1, print(x), y = x + 1).
    await expect(bar.get_by_role("status")).to_have_text("1 of 3")
    await keys.press("Enter")
    await expect(bar.get_by_role("status")).to_have_text("2 of 3")
    await expect(ada.page.locator(".cm-notebook-match-current")).to_have_text("x")
    await expect(ada.page.locator(".cm-notebook-match")).to_have_count(3)

    # Replace one, then all: normal edits, seen by Bob.
    await bar.get_by_label("Replace with").fill("value")
    await bar.get_by_role("button", name="Replace this match").click()
    await bob.wait_until("nb => nb.cells[1].getSource() === 'x = 1\\nprint(value)'")
    await expect(bar.get_by_role("status")).to_have_text("2 of 2")
    await bar.get_by_role("button", name="Replace all").click()
    expected = ["# Test notebook", "value = 1\nprint(value)", "y = value + 1\ny"]
    await bob.wait_until(
        "(nb, want) => JSON.stringify(nb.cells.map(c => c.getSource())) === JSON.stringify(want)",
        expected,
    )
    await expect(bob.cell(2)).to_contain_text("y = value + 1")

    # A regular expression with a group; an invalid one says why.
    await bar.get_by_label("Regular expression").check()
    await bar.get_by_label("Find in the notebook").fill("(va)lue")
    await expect(bar.get_by_role("status")).to_contain_text("of 3")
    await bar.get_by_label("Find in the notebook").fill("(")
    await expect(bar.get_by_role("status")).to_contain_text("Invalid")
    await bar.get_by_label("Regular expression").uncheck()

    # Escape closes the bar; undo (Z in command mode) takes the replacements back at once.
    await bar.get_by_label("Find in the notebook").press("Escape")
    await expect(bar).to_be_hidden()
    await keys.press("Escape")
    await keys.press("z")
    await bob.wait_until("nb => nb.cells[2].getSource() === 'y = x + 1\\ny'")
    assert (await bob.sources())[1] == "x = 1\nprint(value)"

    # In a cell, Ctrl+F opens the search with the selected text.
    await ada.edit_end(1)
    await keys.press("Home")
    await keys.press("Shift+End")
    await keys.press("Control+f")
    await expect(bar.get_by_label("Find in the notebook")).to_have_value("print(value)")
    await expect(bar.get_by_role("status")).to_have_text("1 of 1")
    for width in (1280, 1920):
        await ada.page.set_viewport_size({"width": width, "height": 900})
        await ada.screenshot(SHOTS / f"editor-search-{width}.png")
    await keys.press("Escape")

    # A viewer finds but cannot replace.
    await vera.cell(1).click()
    await vera.page.keyboard.press("Control+f")
    vbar = vera.page.get_by_role("search", name="Find and replace in the notebook")
    await vera.page.keyboard.type("value")
    await expect(vbar.get_by_role("status")).to_have_text("1 of 1")
    await expect(vbar.get_by_label("Replace with")).to_be_hidden()
    for tab in (ada, bob, vera):
        assert tab.errors == []
        await tab.close()


async def test_attribute_completion_after_a_run(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    keys = ada.page.keyboard
    await ada.edit_end(1)
    await keys.press("Control+Enter")
    await expect(ada.cell(1)).to_have_attribute("data-run", "ok", timeout=KERNEL_START)
    await ada.edit_end(2)
    await keys.type("\nimport os")
    await keys.press("Control+Enter")
    await expect(ada.cell(2)).to_have_attribute("data-run", "ok", timeout=KERNEL_START)
    where = ada.page.get_by_role("button", name="Go to cell 3, where os was defined")
    await expect(where).to_be_visible(timeout=KERNEL_START)
    popup = ada.page.locator(POPUP)
    # Tab after `os.pa`: `path` is offered, with its type.
    await ada.edit_end(2)
    await keys.type("\nos.pa")
    await keys.press("Tab")
    # The first completion may still wait for the kernel's jedi warm-up, which takes tens of
    # seconds at a load average of 12 (its subshell shares the CPU).
    await expect(option(popup, "path")).to_be_visible(timeout=KERNEL_START)
    await option(popup, "path").click()
    await ada.wait_source(2, "s => s.endsWith('\\nos.path')")
    # One completion (`join`) is inserted at once, as in JupyterLab: no popup to accept.
    await keys.type(".joi")
    await keys.press("Tab")
    await ada.wait_source(2, "s => s.endsWith('\\nos.path.join')")
    await expect(popup).to_have_count(0)
    assert ada.errors == []
    await ada.close()
