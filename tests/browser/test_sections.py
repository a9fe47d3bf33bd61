"""A collapsed heading's section, as JupyterLab 4 treats it: run (Ctrl+Enter on the heading
runs the code cells it hides), moved and deleted whole; headings inserted above and below
(Shift+A, Shift+B) at their section's level; and a markdown cell's `attachment:` images."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from playwright.async_api import Browser, expect

from support.browser import NotebookTab
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000


def png(width: int, height: int, rgb: tuple[int, int, int]) -> str:
    """A plain-coloured PNG, base64 as nbformat keeps it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(row * height)
    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    return base64.b64encode(raw).decode()


def write_outline(path: Path) -> str:
    """# Setup (a picture attached), ## Data with two cells, ## Model with one."""
    notes = new_markdown_cell(
        "A diagram, attached to this cell:\n\n![diagram](attachment:diagram.png)\n\n"
        '<img alt="svg" src="attachment:drawing.svg">',
        id="notes",
    )
    notes.attachments = {
        "diagram.png": {"image/png": png(120, 48, (70, 130, 180))},
        "drawing.svg": {"image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg"/>'},
    }
    cells = [
        new_markdown_cell("# Setup", id="setup"),
        notes,
        new_markdown_cell("## Data", id="data"),
        new_code_cell("print('data ran')", id="load"),
        new_markdown_cell("Cleaning notes", id="clean"),
        new_markdown_cell("## Model", id="model"),
        new_code_cell("print('model ran')", id="fit"),
    ]
    path.write_text(nbformat.writes(new_notebook(cells=cells)) + "\n")
    return path.name


async def ids(tab: NotebookTab) -> list[str]:
    result: list[str] = await tab.page.evaluate(
        "() => window.pairbook.notebook.cells.map(c => c.id)"
    )
    return result


async def select(tab: NotebookTab, cell_id: str) -> None:
    await tab.page.locator(f'.cells > .cell[data-cell-id="{cell_id}"]').click()
    await tab.page.keyboard.press("Escape")


async def test_a_collapsed_section_runs_moves_and_deletes_whole_and_attachments_show(
    browser: Browser, server: ServerProcess, request: pytest.FixtureRequest, screenshots: Path
) -> None:
    name = write_outline(server.root / f"{request.node.name[:40]}.ipynb")
    ada = await NotebookTab.open(browser, server, name)
    page = ada.page
    # The attached PNG shows, drawn from the cell; the SVG attachment does not (images only).
    picture = ada.cell(1).get_by_role("img", name="diagram")
    await expect(picture).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert await picture.evaluate("img => img.complete && img.naturalWidth") == 120
    assert await ada.cell(1).get_by_role("img", name="svg").get_attribute("src") is None

    # Both sections collapsed: ## Data hides two cells, ## Model one.
    for heading in ("data", "model"):
        await select(ada, heading)
        await page.keyboard.press("ArrowLeft")
    assert await ada.shown_cells() == ["setup", "notes", "data", "model"]
    await ada.screenshot(screenshots / "collapsed-section.png")

    # Ctrl+Enter on the collapsed ## Data runs the code it hides, nothing else.
    await select(ada, "data")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator('.cell[data-cell-id="load"] .cell-outputs')).to_contain_text(
        "data ran", timeout=KERNEL_START
    )
    assert (
        await page.evaluate(
            "() => window.pairbook.notebook.cells.find(c => c.id === 'fit').outputs.length"
        )
        == 0
    )
    assert await page.evaluate("() => window.pairbook.view.activeCell.id") == "data"

    # Moved down, ## Data goes past the whole of ## Model, its own cells with it.
    await page.keyboard.press("Control+Shift+ArrowDown")
    assert await ids(ada) == ["setup", "notes", "model", "fit", "data", "load", "clean"]
    assert await ada.shown_cells() == ["setup", "notes", "model", "data"]
    await page.keyboard.press("Control+Shift+ArrowUp")
    assert await ids(ada) == ["setup", "notes", "data", "load", "clean", "model", "fit"]

    # D, D deletes the section; Z brings it back in one step, still collapsed.
    await page.keyboard.press("d")
    await page.keyboard.press("d")
    assert await ids(ada) == ["setup", "notes", "model", "fit"]
    await page.keyboard.press("z")
    assert await ids(ada) == ["setup", "notes", "data", "load", "clean", "model", "fit"]

    # Shift+A: a "## " heading above, being edited; Shift+B: one at the end of the section.
    await select(ada, "data")
    await page.keyboard.press("Shift+A")
    await page.keyboard.type("Before data")
    await page.keyboard.press("Escape")
    await ada.wait_source(2, "s => s === '## Before data'")
    await select(ada, "data")
    await page.keyboard.press("Shift+B")
    await page.keyboard.type("After data")
    await page.keyboard.press("Escape")
    await ada.wait_source(6, "s => s === '## After data'")
    sources = await ada.sources()
    assert sources[3:6] == ["## Data", "print('data ran')", "Cleaning notes"]
    assert ada.errors == []
    await ada.close()
