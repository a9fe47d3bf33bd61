"""What a notebook shows: markdown rendered when nobody edits it, outputs of every kind,
sanitized; long notebooks with lazy editors."""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from playwright.async_api import Browser, expect

from support.browser import NotebookTab, invite
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# A 1x1 PNG.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf000000030101007ae1d0a70000000049454e44ae426082"
    )
).decode()


async def test_markdown_renders_for_everyone_but_the_person_writing_it(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ada = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Bob"
    )
    await expect(bob.cell(0).locator(".cell-rendered h1")).to_have_text("Test notebook")
    await ada.cell(0).locator(".cell-rendered").dblclick()
    await expect(ada.editor(0)).to_be_focused()
    await ada.page.keyboard.press("Control+End")
    await ada.page.keyboard.type("\n\nSome **bold** words")
    await expect(bob.cell(0).locator(".cell-rendered strong")).to_have_text("bold")
    await expect(ada.cell(0).locator(".cell-rendered")).to_be_hidden()
    await ada.page.keyboard.press("Shift+Enter")
    await expect(ada.cell(0).locator(".cell-rendered strong")).to_have_text("bold")
    await expect(ada.cell(1)).to_have_attribute("aria-current", "true")
    await ada.close()
    await bob.close()


async def test_outputs_of_every_kind_are_shown_and_sanitized(
    browser: Browser, server: ServerProcess
) -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="window.pwned=1">'
    svg += '<circle cx="10" cy="10" r="8" fill="teal"/><script>window.pwned=1</script></svg>'
    html = '<table class="df"><tr><td>7</td></tr></table><img src=x onerror="window.pwned=1">'
    html += "<script>window.pwned=1</script>"
    cell = new_code_cell("show()", id="out")
    cell.outputs = [
        new_output("stream", name="stdout", text="hello\n"),
        new_output("stream", name="stdout", text="world\n"),
        new_output("stream", name="stderr", text="careful\n"),
        new_output(
            "execute_result", data={"text/html": html, "text/plain": "t"}, execution_count=1
        ),
        new_output("display_data", data={"image/png": PIXEL, "text/plain": "<img>"}),
        new_output("display_data", data={"image/svg+xml": svg}),
        new_output("display_data", data={"application/json": {"a": [1, 2]}}),
        new_output(
            "error",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
        ),
    ]
    nb = new_notebook(cells=[new_markdown_cell("<img src=x onerror='window.pwned=1'>*hi*"), cell])
    nbformat.write(nb, server.root / "outputs.ipynb")
    tab = await NotebookTab.open(browser, server, "outputs.ipynb")
    outputs = tab.cell(1).locator(".cell-outputs")
    await expect(outputs.locator(".output-stream.stdout")).to_have_text("hello\nworld\n")
    await expect(outputs.locator(".output-stream.stderr")).to_have_text("careful\n")
    # HTML with scripts and handlers runs in the sandboxed output frame, not in the page.
    frame_element = outputs.locator("iframe.output-frame[sandbox='allow-scripts']")
    await expect(frame_element).to_have_count(1)
    handle = await frame_element.element_handle()
    frame = None if handle is None else await handle.content_frame()
    assert frame is not None
    await expect(frame.locator("td")).to_have_text("7")
    await expect(outputs.locator("img[src^='data:image/png;base64,']")).to_have_count(1)
    # SVG shows as an image, as in JupyterLab: its scripts and styles stay inside it.
    svg_image = outputs.locator(".output-image img[src^='data:image/svg+xml']")
    await expect(svg_image).to_have_count(1)
    await tab.page.wait_for_function(
        "img => img.complete && img.naturalWidth === 20", arg=await svg_image.element_handle()
    )
    await expect(outputs.locator(".output-json")).to_contain_text('"a": [')
    error = outputs.locator(".output-error")
    await expect(error).to_have_text("ZeroDivisionError: division by zero")
    await expect(error.locator(".ansi-red-fg")).to_have_text("ZeroDivisionError")
    assert await outputs.locator("script, [onerror], [onload]").count() == 0
    await expect(tab.cell(0).locator(".cell-rendered em")).to_have_text("hi")
    assert await tab.page.evaluate("() => window.pwned") is None
    assert tab.errors == []
    await tab.close()


async def test_a_long_notebook_mounts_editors_only_near_the_viewport(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    write_notebook(server.root / notebook, [f"n_{i} = {i}\nn_{i} * 2" for i in range(200)])
    tab = await NotebookTab.open(browser, server, notebook)
    await expect(tab.page.locator(".cells > .cell")).to_have_count(201)
    mounted = await tab.page.locator(".cm-editor").count()
    assert 0 < mounted < 60
    await expect(tab.cell(150).locator(".static-code")).to_contain_text("n_149 = 149")
    # Far cells are plain highlighted text until the person gets there; then they edit.
    await tab.cell(150).scroll_into_view_if_needed()
    await expect(tab.cell(150).locator(".cm-editor")).to_have_count(1)
    await tab.edit_end(150)
    await tab.page.keyboard.type(" + 1")
    await tab.wait_source(150, "s => s.endsWith('n_149 * 2 + 1')")
    # The keyboard walks from cell to cell, editors or not.
    await tab.page.keyboard.press("Escape")
    await tab.page.keyboard.press("Home")
    await expect(tab.cell(0)).to_have_attribute("aria-current", "true")
    await expect(tab.cell(0)).to_be_in_viewport()
    await tab.close()


DISPLAY_MATH = [
    "An environment on its own, as JupyterLab typesets it:\n\n"
    "\\begin{align}\nx &= 1 \\\\\ny &= x + 1\n\\end{align}",
    "Lines split by `\\\\`:\n\n$$\na = 1 \\\\\nb = 2 \\\\\nc = 3\n$$",
    "A long derivation:\n\n$$\n" + " ".join(f"p_{{{i}}} \\implies" for i in range(160)) + " q\n$$",
    "A wide one:\n\n$$" + " + ".join(f"a_{{{i}}} x^{{{i}}}" for i in range(80)) + "$$",
]


async def test_display_math_renders_long_multi_line_and_bare_environments(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    cells = [new_markdown_cell(source, id=f"math-{i}") for i, source in enumerate(DISPLAY_MATH)]
    nbformat.write(new_notebook(cells=cells), server.root / "display-math.ipynb")
    tab = await NotebookTab.open(browser, server, "display-math.ipynb")
    rendered = [tab.cell(i).locator(".cell-rendered") for i in range(len(DISPLAY_MATH))]
    bare, lines, derivation, wide = rendered
    await expect(bare.locator("math[display=block] mtr")).to_have_count(2)
    await expect(bare).not_to_contain_text("\\begin")
    await expect(lines.locator("math[display=block] mtr")).to_have_count(3)
    await expect(derivation.locator("math[display=block]")).to_have_count(1)
    await expect(derivation.locator(".katex-error")).to_have_count(0)
    # Wider than the cell: it scrolls inside the cell rather than being cut at its edge.
    block = wide.locator(".katex-block")
    await expect(block.locator("math")).to_have_count(1)
    sizes = await block.evaluate(
        "b => ({ scroll: b.scrollWidth, client: b.clientWidth,"
        " overflow: getComputedStyle(b).overflowX })"
    )
    assert sizes["scroll"] > sizes["client"], sizes
    assert sizes["overflow"] in {"auto", "scroll"}, sizes
    await block.evaluate("b => { b.scrollLeft = b.scrollWidth }")
    await expect(block).to_contain_text("79")
    await tab.screenshot(screenshots / "display-math.png")
    assert tab.errors == []
    await tab.close()


async def test_math_with_label_and_newcommand_renders_as_in_jupyterlab(
    browser: Browser, server: ServerProcess
) -> None:
    sources = [
        "Defined here: $\\newcommand{\\R}{\\mathbb{R}} \\newcommand{\\half}{\\frac{1}{2}}$",
        "$$\\int_0^1 x \\, dx = \\half \\label{eq:half}$$",
        "Used in a later cell: $x \\in \\R$",
    ]
    cells = [new_markdown_cell(source, id=f"macro-{i}") for i, source in enumerate(sources)]
    nbformat.write(new_notebook(cells=cells), server.root / "math-macros.ipynb")
    tab = await NotebookTab.open(browser, server, "math-macros.ipynb")
    labelled, later = (tab.cell(i).locator(".cell-rendered") for i in (1, 2))
    await expect(labelled.locator("math mfrac")).to_have_count(1)
    await expect(later.locator('math mi[mathvariant="double-struck"]')).to_have_text("R")
    for i in range(len(sources)):  # nothing refused: no error, nothing set in red
        rendered = tab.cell(i).locator(".cell-rendered")
        await expect(rendered.locator("math")).not_to_have_count(0)
        await expect(rendered.locator(".katex-error, [mathcolor='#cc0000']")).to_have_count(0)
    await expect(labelled).not_to_contain_text("eq:half")
    assert tab.errors == []
    await tab.close()
