"""JupyterLab parity on the notebook page: clearing outputs (an edit of the shared notebook,
undone per person, refused to whoever may not edit), merging a cell with the one above or
below (Ctrl+Backspace, Ctrl+Shift+M), and two views of a person's own that partners never
see: line numbers (Shift+L) and collapsed headings (the caret, ← and →)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

OUTPUTS = """nb => nb.cells.map(c => c.cell_type === 'code'
    ? [c.outputs.length, c.execution_count] : null)"""

SECTIONS = [
    ("markdown", "# Load"),
    ("code", "x = 1"),
    ("markdown", "## Clean"),
    ("code", "y = 2"),
    ("markdown", "# Report"),
    ("code", "print(x + y)"),
]


def write_sections(path: Path) -> str:
    """A notebook of two sections (one with a subsection), every code cell with an output."""
    cells = []
    for index, (kind, source) in enumerate(SECTIONS):
        if kind == "markdown":
            cells.append(new_markdown_cell(source, id=f"cell-{index}"))
            continue
        cell = new_code_cell(source, id=f"cell-{index}", execution_count=index)
        cell.outputs = [new_output("stream", name="stdout", text=f"out {index}\n")]
        cells.append(cell)
    path.write_text(nbformat.writes(new_notebook(cells=cells)) + "\n")
    return path.name


async def wait_outputs(tab: NotebookTab, want: list[list[int | None] | None]) -> None:
    await tab.wait_until(
        f"(nb, want) => JSON.stringify(({OUTPUTS})(nb)) === JSON.stringify(want)", want
    )


async def wait_sources(tab: NotebookTab, want: list[str]) -> None:
    await tab.wait_until(
        "(nb, want) => JSON.stringify(nb.cells.map(c => c.getSource())) === JSON.stringify(want)",
        want,
    )


async def test_clearing_outputs_reaches_the_partner_undoes_in_one_step_and_is_refused_to_a_viewer(
    browser: Browser, server: ServerProcess, request: pytest.FixtureRequest, screenshots: Path
) -> None:
    name = write_sections(server.root / f"{request.node.name[:40]}.ipynb")
    ada, bob = await NotebookTab.pair(browser, server, name)
    vic = await NotebookTab.open(
        browser, server, name, token=invite(server, "viewer"), join_as="Vic"
    )
    full: list[list[int | None] | None] = [None, [1, 1], None, [1, 3], None, [1, 5]]
    await wait_outputs(bob, full)
    # Vic may not clear: no tool, and the action itself is refused with a word why.
    await expect(vic.page.get_by_role("button", name="Clear all outputs")).to_have_count(0)
    await vic.page.evaluate("() => window.pairbook.view.perform('clear-all-outputs')")
    await expect(vic.page.locator(".toast", has_text="editing is turned off")).not_to_have_count(0)

    # Ada clears the selected cells' outputs (cells 2 to 4): Bob sees them go.
    await ada.command_mode(1)
    await ada.page.keyboard.press("Shift+ArrowDown")
    await ada.page.keyboard.press("Shift+ArrowDown")
    # The active cell's toolbar acts on the selection.
    await ada.cell(3).get_by_role("button", name="Clear outputs", exact=True).click()
    await wait_outputs(bob, [None, [0, None], None, [0, None], None, [1, 5]])
    await expect(bob.cell(1).locator(".cell-outputs")).to_be_empty()
    await expect(bob.cell(1).locator(".cell-prompt")).to_have_text("[ ]")
    # One undo step of Ada's brings them back, for everyone; Bob has nothing to undo.
    await ada.page.keyboard.press("z")
    await wait_outputs(bob, full)
    await expect(bob.cell(3).locator(".cell-outputs")).to_contain_text("out 3")
    await ada.cell(5).hover()  # another cell's toolbar, under the mouse
    await ada.cell(5).get_by_role("button", name="Clear all outputs").click()
    await wait_outputs(vic, [None, [0, None], None, [0, None], None, [0, None]])
    await ada.screenshot(screenshots / "clear-all-outputs.png")
    for tab in (ada, bob, vic):
        assert tab.errors == []
        await tab.close()


async def test_ctrl_backspace_merges_with_the_cell_above_and_ctrl_shift_m_with_the_one_below(
    browser: Browser, server: ServerProcess, request: pytest.FixtureRequest
) -> None:
    name = write_sections(server.root / f"{request.node.name[:40]}.ipynb")
    ada, bob = await NotebookTab.pair(browser, server, name)
    await ada.command_mode(3)  # y = 2
    await ada.page.keyboard.press("Control+Backspace")  # with "## Clean": a code cell
    want = ["# Load", "x = 1", "## Clean\n\ny = 2", "# Report", "print(x + y)"]
    await wait_sources(bob, want)
    assert await bob.page.evaluate("() => window.pairbook.notebook.cells[2].cell_type") == "code"
    await ada.page.keyboard.press("Control+Shift+M")  # with "# Report" below
    want = ["# Load", "x = 1", "## Clean\n\ny = 2\n\n# Report", "print(x + y)"]
    await wait_sources(bob, want)
    await ada.command_mode(0)
    await ada.page.keyboard.press("Control+Backspace")  # the first cell: nothing above
    await ada.page.keyboard.press("z")  # undoes the second merge, then the first
    await ada.page.keyboard.press("z")
    want = [source for _, source in SECTIONS]
    await wait_sources(bob, want)
    # In an editor, Ctrl+Backspace deletes a word, as it should.
    await ada.edit_end(1)
    await ada.page.keyboard.press("Control+Backspace")
    await bob.wait_source(1, "s => s === 'x = '")
    for tab in (ada, bob):
        assert tab.errors == []
        await tab.close()


async def test_shift_l_numbers_every_cells_lines_for_this_person_only_and_is_remembered(
    browser: Browser, server: ServerProcess, request: pytest.FixtureRequest, screenshots: Path
) -> None:
    # Enough cells that the far ones show highlighted text rather than an editor.
    cells = [new_markdown_cell("# Numbers", id="intro")]
    cells += [new_code_cell(f"a{i} = {i}\nb{i} = a{i} * 2\nb{i}", id=f"c{i}") for i in range(40)]
    notebook = f"{request.node.name[:40]}.ipynb"
    (server.root / notebook).write_text(nbformat.writes(new_notebook(cells=cells)) + "\n")
    ada, bob = await NotebookTab.pair(browser, server, notebook)
    page = ada.page
    await ada.edit_end(1)  # an editor in cell 2, highlighted text elsewhere
    await page.keyboard.type("\nz = 3")
    await page.keyboard.press("Shift+L")  # typing in an editor: a capital L
    await ada.wait_source(1, "s => s.endsWith('z = 3L')")  # 4 lines now
    await expect(page.locator(".notebook.line-numbers")).to_have_count(0)
    await page.keyboard.press("Escape")
    await page.keyboard.press("Shift+L")
    await expect(page.locator(".notebook.line-numbers")).to_have_count(1)
    gutter = ada.cell(1).locator(".cm-lineNumbers .cm-gutterElement:visible")
    await expect(gutter).to_have_text(["1", "2", "3", "4"])
    # The far cells' text is numbered in the same column as an editor's.
    static = ada.cell(40).locator(".static-line").first
    number = await static.evaluate("line => getComputedStyle(line, '::before').content")
    assert number == "counter(line)"
    await ada.screenshot(screenshots / "line-numbers.png")
    await expect(bob.page.locator(".notebook.line-numbers")).to_have_count(0)  # Ada's view only
    await page.reload()
    await ada.wait_connected()
    await expect(page.locator(".notebook.line-numbers")).to_have_count(1)
    await ada.command_mode(1)
    await page.keyboard.press("Shift+L")
    await expect(page.locator(".notebook.line-numbers")).to_have_count(0)
    await expect(ada.cell(1).locator(".cm-gutters")).to_be_hidden()
    for tab in (ada, bob):
        assert tab.errors == []
        await tab.close()


async def test_headings_collapse_for_this_person_with_the_caret_and_the_arrows(
    browser: Browser, server: ServerProcess, request: pytest.FixtureRequest, screenshots: Path
) -> None:
    name = write_sections(server.root / f"{request.node.name[:40]}.ipynb")
    ada, bob = await NotebookTab.pair(browser, server, name)
    every = [f"cell-{index}" for index in range(len(SECTIONS))]
    page = ada.page
    # The caret left of "# Load" hides its section, down to "# Report".
    caret = ada.cell(0).get_by_role("button", name="Collapse the section under this heading")
    await caret.click()
    assert await ada.shown_cells() == ["cell-0", "cell-4", "cell-5"]
    hidden = ada.cell(0).get_by_role("button", name="3 cells hidden")
    await expect(hidden).to_be_visible()
    await ada.screenshot(screenshots / "collapsed-heading.png")
    assert await bob.shown_cells() == every  # Ada's view, not the notebook's
    # ↓ skips what is hidden; → on the collapsed heading expands it.
    await ada.command_mode(0)
    await page.keyboard.press("ArrowDown")
    assert await page.evaluate("() => window.pairbook.view.activeCell.id") == "cell-4"
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("ArrowRight")
    assert await ada.shown_cells() == every
    # ← in a section selects its heading; ← on the heading collapses it.
    await ada.command_mode(3)
    await page.keyboard.press("ArrowLeft")
    assert await page.evaluate("() => window.pairbook.view.activeCell.id") == "cell-2"
    await page.keyboard.press("ArrowLeft")
    assert await ada.shown_cells() == ["cell-0", "cell-1", "cell-2", "cell-4", "cell-5"]
    # Ctrl+Shift+← collapses them all, Ctrl+Shift+→ expands them all.
    await page.keyboard.press("Control+Shift+ArrowLeft")
    assert await ada.shown_cells() == ["cell-0", "cell-4"]
    await page.keyboard.press("Control+Shift+ArrowRight")
    assert await ada.shown_cells() == every
    # Selecting a hidden cell (from the kernel state, a search, following) shows it again.
    await caret.click()
    await page.evaluate("() => window.pairbook.view.selectIndex(3, 'command')")
    assert await ada.shown_cells() == every
    # A search's match in a hidden cell shows it; so does following someone there. The
    # caret leaves the keyboard on the selected cell.
    collapse = ada.cell(0).get_by_role("button", name="Collapse the section under this heading")
    await collapse.click()
    await page.keyboard.press("Control+f")
    await page.keyboard.type("y = 2")
    await expect(ada.cell(3)).to_be_visible()
    await page.keyboard.press("Escape")
    await collapse.click()
    await bob.command_mode(3)
    await (
        page.locator(".participants .person", has_text="Bob")
        .get_by_role("button", name="Follow")
        .click()
    )
    await expect(ada.cell(3)).to_be_visible()
    await page.get_by_role("button", name="Stop following Bob").first.click()
    # A partner's heading edit changes what Ada's collapsed heading hides.
    await collapse.click()
    assert await ada.shown_cells() == ["cell-0", "cell-4", "cell-5"]
    await bob.command_mode(4)
    await bob.page.keyboard.press("Enter")
    await bob.page.keyboard.press("Control+Home")
    await bob.page.keyboard.type("#")  # "## Report": now under "# Load"
    await ada.wait_source(4, "s => s === '## Report'")
    await expect(page.locator(".cells > .cell:visible")).to_have_count(1)
    for tab in (ada, bob):
        assert tab.errors == []
        await tab.close()


async def test_o_hides_the_selected_cells_outputs_for_this_person_only(
    browser: Browser, server: ServerProcess, request: pytest.FixtureRequest, screenshots: Path
) -> None:
    name = write_sections(server.root / f"{request.node.name[:40]}.ipynb")
    ada, bob = await NotebookTab.pair(browser, server, name)
    page = ada.page
    await ada.command_mode(1)
    await page.keyboard.press("Shift+ArrowDown")
    await page.keyboard.press("Shift+ArrowDown")
    await page.keyboard.press("o")  # cells 2 to 4: the two code cells among them
    for index in (1, 3):
        await expect(ada.cell(index).locator(".cell-outputs")).to_be_hidden()
        await expect(ada.cell(index).get_by_role("button", name="Outputs hidden")).to_be_visible()
    await expect(ada.cell(5).locator(".cell-outputs")).to_contain_text("out 5")
    await ada.screenshot(screenshots / "outputs-hidden.png")
    await expect(bob.cell(1).locator(".cell-outputs")).to_contain_text("out 1")  # Ada's view
    # Still hidden once the cell moves (a new view of it), shown again by its button or O.
    await ada.command_mode(1)
    await page.keyboard.press("Control+Shift+ArrowDown")
    await bob.wait_source(2, "s => s === 'x = 1'")
    await expect(ada.cell(2).locator(".cell-outputs")).to_be_hidden()
    await ada.cell(2).get_by_role("button", name="Outputs hidden").click()
    await expect(ada.cell(2).locator(".cell-outputs")).to_contain_text("out 1")
    await ada.command_mode(3)
    await page.keyboard.press("o")
    await expect(ada.cell(3).locator(".cell-outputs")).to_contain_text("out 3")
    for tab in (ada, bob):
        assert tab.errors == []
        await tab.close()
