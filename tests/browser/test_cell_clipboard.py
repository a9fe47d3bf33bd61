"""JupyterLab's cell clipboard (C, X, V, Shift+V), merge (Shift+M), split (Ctrl+Shift+-),
multi-cell selection (Shift+↑ ↓, Shift+click, Ctrl+A) and block moves on pairbook's page:
each is an edit of the shared notebook that the partner sees, undone per person, refused to
whoever may not edit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Page, expect

from support.browser import NotebookTab, invite
from support.notebooks import write_notebook
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
ORIGINAL = ["# Test notebook", "x = 1\nprint(x)", "y = x + 1\ny"]
ACTIVE_INDEX = "() => window.pairbook.view.indexOf(window.pairbook.view.activeCell)"
CELLS = "nb => nb.cells.map(c => ({ type: c.cell_type, source: c.getSource(), id: c.id }))"


async def selected(tab: NotebookTab) -> list[int]:
    """The indexes of the cells marked as selected (an extended selection)."""
    result: list[int] = await tab.page.locator(".cells > .cell").evaluate_all(
        "cells => cells.flatMap((c, i) => c.classList.contains('selected') ? [i] : [])"
    )
    return result


async def wait_sources(tab: NotebookTab, sources: list[str]) -> None:
    await tab.wait_until(
        "(nb, want) => JSON.stringify(nb.cells.map(c => c.getSource())) === JSON.stringify(want)",
        sources,
    )


async def cells(tab: NotebookTab) -> list[dict[str, str]]:
    result: list[dict[str, str]] = await tab.page.evaluate(
        f"() => ({CELLS})(window.pairbook.notebook)"
    )
    return result


async def test_copy_paste_merge_split_and_a_selection_of_cells_reach_the_partner(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada, bob = await NotebookTab.pair(browser, server, notebook)
    page, keys = ada.page, ada.page.keyboard
    ids = [cell["id"] for cell in await cells(ada)]

    # Shift+↓ selects the markdown cell and the first code cell; C copies them; V at the
    # last cell pastes them below it, as new cells, and they are the selection.
    await ada.cell(0).click()
    await keys.press("Shift+ArrowDown")
    assert await selected(ada) == [0, 1]
    await keys.press("c")
    await keys.press("End")
    assert await selected(ada) == []
    await keys.press("v")
    await wait_sources(bob, [*ORIGINAL, ORIGINAL[0], ORIGINAL[1]])
    pasted = await cells(bob)
    assert [cell["type"] for cell in pasted] == ["markdown", "code", "code", "markdown", "code"]
    assert len({cell["id"] for cell in pasted}) == 5
    assert pasted[4]["id"] not in ids
    # The outputs came along (the copy keeps them), on Bob's screen too.
    await expect(bob.cell(4).locator(".cell-outputs")).to_contain_text("1")
    assert await selected(ada) == [3, 4]
    assert await page.evaluate(ACTIVE_INDEX) == 4

    # Shift+M merges the pasted pair into one code cell (the active cell's type).
    await keys.press("Shift+M")
    merged = f"{ORIGINAL[0]}\n\n{ORIGINAL[1]}"
    await wait_sources(bob, [*ORIGINAL, merged])
    assert (await cells(bob))[3]["type"] == "code"

    # Ctrl+Shift+- in the editor splits it again at the cursor (the start of line 3).
    await ada.edit_end(3)
    await keys.press("Control+Home")
    await keys.press("ArrowDown")
    await keys.press("ArrowDown")
    await keys.press("Control+Shift+Minus")
    await wait_sources(bob, [*ORIGINAL, ORIGINAL[0], ORIGINAL[1]])
    assert await page.evaluate(ACTIVE_INDEX) == 4
    await expect(ada.cell(4)).to_have_class(re.compile(r"\bmode-edit\b"))

    # Shift+click selects a run of cells; M makes them all markdown, Y code again.
    await keys.press("Escape")
    await ada.cell(3).click(modifiers=["Shift"])
    assert await selected(ada) == [3, 4]
    await keys.press("m")
    await bob.wait_until(
        "nb => nb.cells[3].cell_type === 'markdown' && nb.cells[4].cell_type === 'markdown'"
    )
    assert await selected(ada) == [3, 4]
    await keys.press("y")
    await bob.wait_until(
        "nb => nb.cells[3].cell_type === 'code' && nb.cells[4].cell_type === 'code'"
    )

    # D, D deletes both; Z (Ada's own undo) brings them back; X cuts, Shift+V pastes above.
    await keys.press("d")
    await keys.press("d")
    await wait_sources(bob, ORIGINAL)
    await keys.press("z")
    await wait_sources(bob, [*ORIGINAL, ORIGINAL[0], ORIGINAL[1]])
    await ada.cell(4).click()
    await keys.press("Escape")
    await keys.press("x")
    await wait_sources(bob, [*ORIGINAL, ORIGINAL[0]])
    await keys.press("Home")
    await keys.press("Shift+V")
    await wait_sources(bob, [ORIGINAL[1], *ORIGINAL, ORIGINAL[0]])

    # Shift+Enter on two selected code cells runs both, then selects the cell below them.
    await ada.cell(1).click(position={"x": 4, "y": 4})
    await keys.press("Escape")
    await keys.press("Shift+ArrowDown")
    await keys.press("Shift+ArrowDown")
    assert await selected(ada) == [1, 2, 3]
    await keys.press("Shift+Enter")
    for index in (2, 3):
        await expect(bob.cell(index)).to_have_attribute("data-run", "ok", timeout=KERNEL_START)
    assert await page.evaluate(ACTIVE_INDEX) == 4
    assert await selected(ada) == []
    for tab in (ada, bob):
        assert tab.errors == []
        await tab.close()


COUNT_CHANGES = """() => {
    window.__cellChanges = 0
    window.pairbook.notebook.changed.connect((_, change) => {
        if (change.cellsChange !== undefined) window.__cellChanges += 1
    })
}"""


async def test_selected_cells_move_as_one_block_and_ctrl_a_selects_every_cell(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    ada, bob = await NotebookTab.pair(browser, server, notebook)
    page, keys = ada.page, ada.page.keyboard
    ids = [cell["id"] for cell in await cells(ada)]
    await bob.page.evaluate(COUNT_CHANGES)
    await bob.command_mode(2)

    # Ctrl+Shift+↑ moves both selected code cells above the markdown cell, in one change
    # Bob sees once; they stay selected, the same cell active. Bob's cell, among them, stays
    # his selected cell where it went.
    await ada.command_mode(1)
    await keys.press("Shift+ArrowDown")
    await keys.press("Control+Shift+ArrowUp")
    await wait_sources(bob, [ORIGINAL[1], ORIGINAL[2], ORIGINAL[0]])
    assert [cell["id"] for cell in await cells(bob)] == [ids[1], ids[2], ids[0]]
    assert await bob.page.evaluate("() => window.__cellChanges") == 1
    assert await selected(ada) == [0, 1]
    assert await page.evaluate(ACTIVE_INDEX) == 1
    assert await bob.page.evaluate("() => window.pairbook.view.activeCell.id") == ids[2]

    # The active cell's own "Move cell down" moves the selection back; Z undoes it at once.
    await ada.cell(1).get_by_role("button", name="Move cell down").click()
    await wait_sources(bob, ORIGINAL)
    assert await selected(ada) == [1, 2]
    await keys.press("z")
    await wait_sources(bob, [ORIGINAL[1], ORIGINAL[2], ORIGINAL[0]])

    # Ctrl+A selects every cell, not the page's text; the active cell stays where it is.
    await ada.command_mode(1)
    await keys.press("Control+a")
    assert await selected(ada) == [0, 1, 2]
    assert await page.evaluate(ACTIVE_INDEX) == 1
    assert await page.evaluate("() => String(window.getSelection())") == ""
    await ada.cell(1).hover()
    await ada.screenshot(screenshots / "cells-select-all.png")
    # The cell toolbar's Duplicate copies the selection below it (the clipboard untouched).
    await ada.cell(1).get_by_role("button", name="Duplicate cell below").click()
    moved = [ORIGINAL[1], ORIGINAL[2], ORIGINAL[0]]
    await wait_sources(bob, moved + moved)
    assert await selected(ada) == [3, 4, 5]
    assert await page.evaluate("() => sessionStorage.getItem('pairbook.cells')") is None
    # 2 makes the copies level-2 headings (JupyterLab's 1 to 6), in place of their own #.
    await keys.press("2")
    headings = ["## x = 1\nprint(x)", "## y = x + 1\ny", "## Test notebook"]
    await wait_sources(bob, moved + headings)
    assert [cell["type"] for cell in await cells(bob)][3:] == ["markdown"] * 3

    # In a cell's editor Ctrl+A is the editor's: it selects the cell's text.
    await ada.edit_end(0)
    await keys.press("Control+a")
    assert await page.evaluate("() => String(window.getSelection())") == ORIGINAL[1]
    assert await selected(ada) == []
    for tab in (ada, bob):
        assert tab.errors == []
        await tab.close()


async def test_viewers_copy_but_cannot_paste_and_navigators_cannot_merge(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada, bob = await NotebookTab.pair(browser, server, notebook)
    vic = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vic"
    )
    # Vic copies (reading is his) but his paste and cut are refused, with a word why.
    await vic.cell(0).click()
    await vic.page.keyboard.press("c")
    await vic.page.keyboard.press("v")
    await expect(vic.page.locator(".toast", has_text="editing is turned off")).not_to_have_count(0)
    await vic.page.keyboard.press("x")
    # Mob mode: Bob navigates, so Shift+M, V and X change nothing.
    await (
        ada.page.locator(".mob-panel")
        .get_by_role("button", name="Mob mode: one driver types")
        .click()
    )
    await expect(bob.page.locator(".mob-you")).to_contain_text("You are navigating")
    await expect(bob.page.locator(".notebook.mob-locked")).to_have_count(1)
    await bob.cell(0).click()
    await bob.page.keyboard.press("c")
    for key in ("Shift+M", "v", "x"):
        await bob.page.keyboard.press(key)
    await expect(bob.page.locator(".toast", has_text="ask for the keyboard")).not_to_have_count(0)
    assert await bob.sources() == ORIGINAL
    # Ada, driving, still merges: the only change anyone sees.
    await ada.cell(1).click(position={"x": 4, "y": 4})
    await ada.page.keyboard.press("Escape")
    await ada.page.keyboard.press("Shift+M")
    await wait_sources(vic, [ORIGINAL[0], f"{ORIGINAL[1]}\n\n{ORIGINAL[2]}"])
    await wait_sources(bob, [ORIGINAL[0], f"{ORIGINAL[1]}\n\n{ORIGINAL[2]}"])
    for tab in (ada, bob, vic):
        assert tab.errors == []
        await tab.close()


async def open_in(page: Page, server: ServerProcess, name: str) -> None:
    await page.goto(f"{server.base}/notebooks/{quote(name)}?token={quote(OWNER_TOKEN)}")
    await page.locator(".status[data-state=connected]").wait_for()
    await page.locator(".notebook:not(.loading) .cell").first.wait_for()


HOSTILE = [
    {
        "cell_type": "markdown",
        "source": 'Look <img src="data:," onerror="window.__pasted = 1"> here',
        "metadata": {},
    },
    {
        "cell_type": "code",
        "source": "html()",
        "metadata": {},
        "execution_count": 1,
        "outputs": [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {
                    "text/html": "<b>bold</b><script>window.__pasted = 2</script>",
                    "text/plain": "html",
                },
            }
        ],
    },
    {"cell_type": "script", "source": "not a cell", "metadata": {}},
]
"""A clipboard written by someone else's page of this origin: shown as any cell, sanitized."""


async def test_copied_cells_paste_into_another_notebook_of_the_tab_and_render_sanitized(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    other = notebook.replace(".ipynb", "-other.ipynb")
    write_notebook(server.root / other, ["z = 3"])
    ada = await NotebookTab.open(browser, server, notebook)
    page = ada.page
    await ada.cell(1).click(position={"x": 4, "y": 4})
    await page.keyboard.press("Escape")
    await page.keyboard.press("Shift+ArrowDown")
    await page.keyboard.press("c")
    # Another notebook, in the same tab: V pastes what was copied in the first.
    await open_in(page, server, other)
    await ada.cell(1).click(position={"x": 4, "y": 4})
    await page.keyboard.press("Escape")
    await page.keyboard.press("v")
    await wait_sources(ada, [ORIGINAL[0], "z = 3", ORIGINAL[1], ORIGINAL[2]])
    await expect(ada.cell(2).locator(".cell-outputs")).to_contain_text("1")

    # A clipboard of hostile cells: they render through the same sanitizer as any cell.
    await page.evaluate(
        "cells => sessionStorage.setItem('pairbook.cells', JSON.stringify(cells))", HOSTILE
    )
    await open_in(page, server, other)
    await ada.cell(0).click()
    await page.keyboard.press("Shift+V")
    await ada.wait_until("nb => nb.cells.length === 6")
    assert [cell["type"] for cell in await cells(ada)][:2] == ["markdown", "code"]
    await expect(ada.cell(0)).to_contain_text("Look")
    assert await ada.cell(0).locator("img[onerror]").count() == 0
    # HTML with a script goes to the sandboxed output frame, as any cell's would.
    await expect(ada.cell(1).locator(".cell-outputs iframe")).to_have_count(1)
    assert (
        await page.locator("script:not([src])").evaluate_all(
            "scripts => scripts.filter(s => s.textContent.includes('__pasted')).length"
        )
        == 0
    )
    assert await page.evaluate("() => window.__pasted === undefined")
    assert json.loads(await page.evaluate("() => sessionStorage.getItem('pairbook.cells')"))
    assert ada.errors == []
    await ada.close()
