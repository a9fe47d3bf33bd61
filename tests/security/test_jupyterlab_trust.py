"""A room's notebook in JupyterLab (pairbook's extension): no peer makes JupyterLab trust an
output. JupyterLab renders a cell's outputs *trusted* (HTML with its scripts and handlers,
JavaScript) when the cell's shared metadata says `trusted: true` — metadata any editor of the
room writes, and JupyterLab itself writes for every cell its user creates or runs. In
JupyterLab's own origin a script reaches the person's JupyterLab server (terminals, kernels,
files) and their pairbook token: the room's outputs must stay untrusted there, as they never
run in pairbook's own page (docs/security.md, *The page*)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

pytest.importorskip("playwright", reason="the browser tests need the `playwright` Python package")

from playwright.async_api import Browser, Page
from pycrdt import Array, Doc, Map, Text

from support.browser import chromium, invite
from support.client import YClient
from support.jupyterlab import EXTENSION, LabProcess
from support.notebooks import write_notebook
from support.server import ServerProcess, free_port

pytestmark = [pytest.mark.security, pytest.mark.browser]

LAB_TIMEOUT = 90_000  # the first JupyterLab page loads some 10 MB of scripts on a busy machine
PAYLOAD = (
    '<p>from mallory</p><img src="data:," onerror="window.__pwned = (window.__pwned || 0) + 1">'
    "<script>window.__pwned = (window.__pwned || 0) + 10</script>"
)


@pytest.fixture
def pairing(tmp_path: Path) -> Iterator[tuple[ServerProcess, LabProcess]]:
    if not (EXTENSION / "package.json").exists():
        pytest.fail("pairbook's JupyterLab extension is not installed: run scripts/install.sh")
    (tmp_path / "notebooks").mkdir()
    write_notebook(tmp_path / "notebooks" / "shared.ipynb", ["print('hello')"])
    lab_port = free_port()
    args = ("--allow-origin", f"http://127.0.0.1:{lab_port}")
    with (
        ServerProcess(tmp_path / "notebooks", store=str(tmp_path / "s.sqlite"), args=args) as pb,
        LabProcess(tmp_path / "lab", port=lab_port) as lab,
    ):
        yield pb, lab


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


def trusted_cell(doc: Doc[Any], cell_id: str) -> None:
    """What any editor's Yjs client may write: a cell whose metadata says `trusted`, with an
    HTML output."""
    outputs = Array([Map({"output_type": "display_data", "data": Map({"text/html": PAYLOAD})})])
    doc.get("cells", type=Array).append(
        Map(
            {
                "id": cell_id,
                "cell_type": "code",
                "source": Text("1"),
                "metadata": Map({"trusted": True}),
                "outputs": outputs,
                "execution_count": None,
            }
        )
    )


async def open_room_notebook(page: Page, server: ServerProcess, lab: LabProcess) -> None:
    await page.goto(f"{lab.base}/lab", timeout=LAB_TIMEOUT)
    await page.locator(".jp-Launcher").wait_for(timeout=LAB_TIMEOUT)
    await page.locator(".jp-LauncherCard", has_text="Open pairbook room").click()
    dialog = page.locator(".jp-Dialog")
    await dialog.locator("input").fill(f"{server.base}/?token={invite(server, 'editor')}")
    await dialog.get_by_role("button", name="Open").click()
    await dialog.get_by_label("Your name").fill("Lin")
    await dialog.get_by_role("button", name="Join").click()
    item = page.locator(".pb-RoomBrowser .jp-DirListing-item", has_text="shared.ipynb")
    await item.dblclick()
    await page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for()


async def test_no_peer_makes_jupyterlab_run_an_outputs_script(
    pairing: tuple[ServerProcess, LabProcess], browser: Browser
) -> None:
    server, lab = pairing
    url = server.ws_url("shared.ipynb", server.join("editor", "Mallory")[0])
    async with YClient(url) as mallory:
        await mallory.edit(lambda doc: trusted_cell(doc, "mallory-1"))  # before Lin opens it
        context = await browser.new_context()
        context.set_default_timeout(30_000)
        page = await context.new_page()
        try:
            await open_room_notebook(page, server, lab)
            outputs = page.locator(".jp-NotebookPanel .jp-OutputArea-output")
            await outputs.filter(has_text="from mallory").first.wait_for()
            await mallory.edit(lambda doc: trusted_cell(doc, "mallory-2"))  # and while it is open
            await outputs.filter(has_text="from mallory").nth(1).wait_for()
            await page.wait_for_timeout(500)  # an image's error handler runs a moment later
            assert await page.evaluate("() => window.__pwned ?? 0") == 0
        finally:
            await context.close()
