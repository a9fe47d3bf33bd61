"""A JupyterLab user pairs with a pairbook-browser user (issue #19): real `jupyter lab` with
pairbook's extension (built and installed by scripts/install.sh), a real `pairbook serve`
that allows JupyterLab's origin, and Debian's Chromium for both people. The last tests are
about pairbook's panels in JupyterLab: run badges, the kernel-state sidebar, the mob."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Browser, Page, expect

from support.browser import NotebookTab, free_name, invite
from support.jupyterlab import EXTENSION, LabProcess
from support.notebooks import write_notebook
from support.server import ServerProcess, free_port

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

LAB_VIEWPORT = {"width": 1100, "height": 760}
LAB_TIMEOUT = 60_000  # the first JupyterLab page loads some 10 MB of scripts on a busy machine
KERNEL = 60_000  # a room's kernel starts on the first run: seconds on a loaded machine


@dataclass
class Pairing:
    lab: LabProcess
    server: ServerProcess


@pytest.fixture(scope="module")
def pairing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pairing]:
    if not (EXTENSION / "package.json").exists():
        pytest.fail("pairbook's JupyterLab extension is not installed: run scripts/install.sh")
    base = tmp_path_factory.mktemp("jupyterlab")
    (base / "notebooks").mkdir()
    lab_port = free_port()
    args = ("--allow-origin", f"http://127.0.0.1:{lab_port}")
    with (
        ServerProcess(base / "notebooks", store=str(base / "store.sqlite"), args=args) as server,
        LabProcess(base / "lab", port=lab_port) as lab,
    ):
        yield Pairing(lab, server)


@pytest_asyncio.fixture(loop_scope="session")
async def lab_page(browser: Browser, pairing: Pairing) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=LAB_VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(20_000)
    page = await context.new_page()
    await page.goto(f"{pairing.lab.base}/lab", timeout=LAB_TIMEOUT)
    await page.locator(".jp-Launcher").wait_for(timeout=LAB_TIMEOUT)
    yield page
    await context.close()


@dataclass
class Party:
    """The people of one test: the JupyterLab user on `page`, and the pairbook-browser users
    `open` made (their tabs closed after the test)."""

    browser: Browser
    pairing: Pairing
    page: Page
    tabs: list[NotebookTab]

    @property
    def server(self) -> ServerProcess:
        return self.pairing.server

    async def lab(
        self, notebook: str, cells: list[str], name: str = "Lin", role: str = "editor"
    ) -> None:
        """The notebook written with `cells`, its room joined from JupyterLab as `name`, and
        the notebook open there."""
        write_notebook(self.server.root / notebook, cells)
        await join_from_jupyterlab(self.page, self.server, name, role)
        await open_in_jupyterlab(self.page, notebook)

    async def open(
        self, notebook: str, cells: list[str], name: str = "Lin", role: str = "editor"
    ) -> NotebookTab:
        """`lab`, then the same notebook in pairbook's browser client, as its owner."""
        await self.lab(notebook, cells, name, role)
        tab = await NotebookTab.open(self.browser, self.server, notebook)
        self.tabs.append(tab)
        return tab


@pytest_asyncio.fixture(loop_scope="session")
async def party(browser: Browser, pairing: Pairing, lab_page: Page) -> AsyncIterator[Party]:
    people = Party(browser, pairing, lab_page, [])
    yield people
    for tab in people.tabs:
        await tab.close()


async def join_from_jupyterlab(
    page: Page, server: ServerProcess, name: str, role: str = "editor"
) -> None:
    """The launcher's "Open pairbook room…" with an invite link, joining under `name`."""
    free_name(server, name)
    await page.locator(".jp-LauncherCard", has_text="Open pairbook room").click()
    dialog = page.locator(".jp-Dialog")
    await dialog.locator("input").fill(f"{server.base}/?token={invite(server, role)}")
    await dialog.get_by_role("button", name="Open").click()
    await dialog.get_by_label("Your name").fill(name)
    await dialog.get_by_role("button", name="Join").click()


async def open_in_jupyterlab(page: Page, notebook: str) -> None:
    """Double-clicks the notebook in the room's file browser; waits for its cells."""
    item = page.locator(".pb-RoomBrowser .jp-DirListing-item", has_text=notebook)
    await item.dblclick()
    await page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for()


LAB_SOURCE = """i => {
    const panel = window.jupyterapp.shell.currentWidget
    return panel.content.model.sharedModel.cells[i].getSource()
}"""


async def test_a_jupyterlab_user_and_a_browser_user_edit_one_cell_and_converge(
    party: Party, lab_page: Page, screenshots: Path
) -> None:
    notebook = "converge.ipynb"
    sockets: list[str] = []
    lab_page.on("websocket", lambda socket: sockets.append(socket.url))
    ada = await party.open(notebook, ["x = 1\nprint(x)", "y = x + 1\ny"])
    # The room's socket opened with a single-use ticket: no token in any URL.
    rooms = [url for url in sockets if "/rooms/" in url]
    assert rooms, sockets
    assert all("ticket=" in url and "token=" not in url for url in rooms), rooms
    cell = lab_page.locator(".jp-Notebook .jp-Cell").nth(1)
    await cell.locator(".cm-content").click()
    await lab_page.keyboard.press("Control+End")
    await lab_page.keyboard.type("  # Lin")
    await ada.wait_source(1, "s => s.endsWith('  # Lin')")
    await ada.edit_end(1)
    await ada.page.keyboard.type(" and Ada")
    await lab_page.wait_for_function(f"() => ({LAB_SOURCE})(1).endsWith('# Lin and Ada')")
    # Both keep typing at once; the two documents end up the same.
    await lab_page.keyboard.type("!")
    await ada.page.keyboard.type("?")
    await ada.wait_source(1, "s => s.includes('!') && s.includes('?')")
    await lab_page.wait_for_function(
        f"() => ({LAB_SOURCE})(1).includes('!') && ({LAB_SOURCE})(1).includes('?')"
    )
    assert await lab_page.evaluate(f"() => ({LAB_SOURCE})(1)") == await ada.source(1)
    # Presence: the browser client sees Lin, by pairbook's grant, editing the cell, with
    # Lin's caret in its editor; JupyterLab shows Ada's caret.
    await expect(ada.page.locator(".participants")).to_contain_text("Lin")
    await expect(ada.page.locator(".participants")).to_contain_text("editing cell")
    await expect(ada.cell(1).locator(".cm-ySelectionCaret", has_text="Lin")).to_have_count(1)
    await expect(cell.locator(".cm-ySelectionCaret")).to_have_count(1)
    assert ada.errors == []


async def side_by_side(left: Page, right: Page, path: Path) -> None:
    """One picture of two pages, left and right (docs/jupyterlab.png)."""
    images = [Image.open(io.BytesIO(await page.screenshot())) for page in (left, right)]
    both = Image.new(
        "RGB", (sum(i.width for i in images) + 8, max(i.height for i in images)), "#888"
    )
    both.paste(images[0], (0, 0))
    both.paste(images[1], (images[0].width + 8, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    both.save(path)


async def test_a_run_from_jupyterlab_goes_to_the_room_kernel_and_is_attributed(
    party: Party, lab_page: Page, screenshots: Path
) -> None:
    notebook = "run.ipynb"
    ada = await party.open(notebook, ["x = 21\nprint(x * 2)", "y = x + 1\ny"])
    cell = lab_page.locator(".jp-Notebook .jp-Cell").nth(1)
    await cell.locator(".cm-content").click()
    await lab_page.keyboard.press("Shift+Enter")
    await expect(ada.cell(1).locator(".run-badge")).to_contain_text("run by Lin", timeout=KERNEL)
    await expect(ada.cell(1).locator(".cell-outputs")).to_contain_text("42", timeout=KERNEL)
    # The output came back through the shared document to JupyterLab's own output area.
    await expect(cell.locator(".jp-OutputArea-output")).to_contain_text("42", timeout=KERNEL)
    await expect(lab_page.locator(".pb-KernelStatus")).to_contain_text("idle")
    # JupyterLab's status bar says the room's kernel too, not "No Kernel".
    status = lab_page.locator(".jp-StatusBar-TextItem", has_text="Room kernel")
    await expect(status).to_contain_text("| Idle")
    # The browser user runs the next cell: JupyterLab shows its output.
    await ada.cell(2).locator(".cm-content").click()
    await ada.page.keyboard.press("Shift+Enter")
    await expect(ada.cell(2).locator(".run-badge")).to_contain_text("run by", timeout=KERNEL)
    lab_next = lab_page.locator(".jp-Notebook .jp-Cell").nth(2)
    await expect(lab_next.locator(".jp-OutputArea-output")).to_contain_text("22", timeout=KERNEL)
    assert ada.errors == []
    await ada.page.set_viewport_size(LAB_VIEWPORT)  # type: ignore[arg-type]
    await side_by_side(lab_page, ada.page, screenshots / "jupyterlab.png")


async def test_input_from_a_run_in_jupyterlab_is_asked_in_jupyterlab(
    party: Party, lab_page: Page
) -> None:
    notebook = "ask.ipynb"
    await party.lab(notebook, ["name = input('who? ')\nprint('hello', name)"])
    cell = lab_page.locator(".jp-Notebook .jp-Cell").nth(1)
    await cell.locator(".cm-content").click()
    await lab_page.keyboard.press("Shift+Enter")
    dialog = lab_page.locator(".jp-Dialog", has_text="who?")
    await dialog.locator("input").wait_for(timeout=KERNEL)
    await dialog.locator("input").fill("Grace")
    await dialog.get_by_role("button", name="Send").click()
    await expect(cell.locator(".jp-OutputArea")).to_contain_text("hello Grace", timeout=KERNEL)


async def test_a_viewer_in_jupyterlab_cannot_type_or_run(party: Party, lab_page: Page) -> None:
    notebook = "view.ipynb"
    ada = await party.open(notebook, ["x = 1"], "Vic", role="viewer")
    cell = lab_page.locator(".jp-Notebook .jp-Cell").nth(1)
    await expect(cell.locator(".cm-content")).to_have_attribute("aria-readonly", "true")
    await cell.locator(".cm-content").click()
    await lab_page.keyboard.type("zzz")
    await lab_page.keyboard.press("Shift+Enter")  # the lock says why; nothing runs
    assert await lab_page.evaluate(f"() => ({LAB_SOURCE})(1)") == "x = 1"
    assert await ada.source(1) == "x = 1"


SAVED_LAYOUT_NAMES = """async name => {
    const reply = await fetch('/lab/api/workspaces', { cache: 'no-store' })
    const saved = (await reply.json()).workspaces.values
    return saved.some(w => JSON.stringify(w.data['layout-restorer:data']?.main ?? null)
        .includes('notebook:pairbook:' + name))
}"""
"""Whether the layout JupyterLab's server keeps has the notebook in its main area."""


async def test_a_reload_of_jupyterlab_rejoins_the_room_and_reopens_its_notebook(
    party: Party, lab_page: Page
) -> None:
    notebook = "reload.ipynb"
    await party.lab(notebook, ["z = 3"])
    # JupyterLab saves its layout a moment later: reload once the layout its server keeps has
    # the notebook in its main area. Polled with evaluate, which awaits the fetch: the wait
    # this was (wait_for_function of an async function) took the promise for a true answer
    # and reloaded at once, before the save, and a reload then restored nothing.
    for _ in range(240):
        if await lab_page.evaluate(SAVED_LAYOUT_NAMES, notebook):
            break
        await lab_page.wait_for_timeout(250)  # readiness poll of JupyterLab's own save
    else:
        raise AssertionError(f"JupyterLab did not save a layout with {notebook} in 60 s")
    await lab_page.reload(timeout=LAB_TIMEOUT)
    # JupyterLab restores the open notebook; the kept room answers for it, synced.
    await (
        lab_page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
        .nth(1)
        .wait_for(timeout=LAB_TIMEOUT)
    )
    await lab_page.wait_for_function(f"() => ({LAB_SOURCE})(1) === 'z = 3'")
    # The room's file browser is back in the sidebar too.
    await lab_page.locator(".jp-SideBar .lm-TabBar-tab", has_text="pairbook").click()
    await expect(lab_page.locator(".pb-RoomBrowser .jp-DirListing-item")).to_contain_text(
        [notebook]
    )


# -- pairbook's panels in JupyterLab: run badges, kernel state, mob ------------------------

CELLS = ["x = 21\nprint(x * 2)", "y = x + 1\ny"]
"""After the heading (cell 1): code cells 2 and 3, at indexes 1 and 2."""


async def owner_name(tab: NotebookTab) -> str:
    name: str = await tab.page.evaluate("() => window.pairbook.awareness.getLocalState().user.name")
    return name


async def open_sidebar(page: Page, caption: str) -> None:
    """Clicks the right sidebar's tab whose tooltip is `caption` (unless it is open)."""
    tab = page.locator(f".jp-SideBar.jp-mod-right .lm-TabBar-tab[title='{caption}']")
    if "lm-mod-current" not in (await tab.get_attribute("class") or ""):
        await tab.click()


async def lab_run(page: Page, index: int) -> None:
    """Runs cell `index` of JupyterLab's notebook (Shift+Enter in its editor)."""
    await page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").click()
    await page.keyboard.press("Shift+Enter")


async def test_a_browser_users_run_shows_in_jupyterlab_with_its_output_and_badge(
    party: Party, lab_page: Page
) -> None:
    notebook = "panels-badge.ipynb"
    ada = await party.open(notebook, CELLS)
    owner = await owner_name(ada)
    await ada.edit_end(1)
    await ada.page.keyboard.press("Control+Enter")
    cell = lab_page.locator(".jp-Notebook .jp-Cell").nth(1)
    await expect(cell.locator(".jp-OutputArea-output")).to_contain_text("42", timeout=KERNEL)
    badge = cell.locator(".jp-Cell-footer .pb-RunBadge")
    await expect(badge).to_have_text(f"run by {owner} · just now · [1]")
    # The badge is the runner's color; the cell nobody ran has none.
    color = await ada.page.evaluate("() => window.pairbook.awareness.getLocalState().user.color")
    assert await badge.evaluate("b => b.style.getPropertyValue('--pb-person')") == color
    await expect(
        lab_page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".pb-RunBadge")
    ).to_have_count(0)
    # Lin edits the cell in JupyterLab: the badge says the output is from the old source.
    await cell.locator(".cm-content").click()
    await lab_page.keyboard.press("Control+End")
    await lab_page.keyboard.type("  # Lin was here")
    await expect(badge).to_contain_text("edited since")
    await expect(ada.cell(1).locator(".run-badge")).to_contain_text("edited since")
    # The toolbar says the room is recorded and links its replay on the pairbook server.
    await expect(lab_page.locator(".pb-Recording-badge")).to_have_text("● Recording")
    replay = lab_page.locator(".pb-Recording-replay")
    await expect(replay).to_have_attribute("href", f"{party.server.base}/replay/{notebook}")
    assert ada.errors == []


LAB_NUMBERS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden)'
    + ' .jp-Notebook .jp-Cell .jp-InputPrompt')].map(p => {
        const shown = getComputedStyle(p, '::before').content
        return p.getAttribute('data-pb-cell-number') + '|' + shown
    }).join(' ')"""
"""Each cell prompt's number, as set and as drawn (`1|"1" 2|"2" ...`)."""


def lab_numbers(count: int) -> str:
    return " ".join(f'{n}|"{n}"' for n in range(1, count + 1))


async def test_jupyterlab_numbers_each_cell_as_the_pairbook_page_does(
    party: Party, lab_page: Page, screenshots: Path
) -> None:
    ada = await party.open("panels-numbers.ipynb", CELLS)
    # The heading and the two code cells: 1, 2, 3 in both clients, above JupyterLab's [n]:.
    await lab_page.wait_for_function(f"() => ({LAB_NUMBERS})() === {lab_numbers(3)!r}")
    await expect(ada.page.locator(".cells > .cell .cell-number")).to_have_text(["1", "2", "3"])
    # A run rewrites the prompt's text ([*]:, then [n]:); the number stays.
    await lab_run(lab_page, 1)
    cell = lab_page.locator(".jp-Notebook .jp-Cell").nth(1)
    await expect(cell.locator(".pb-RunBadge[data-status=ok]")).to_have_count(1, timeout=KERNEL)
    prompt = cell.locator(".jp-InputPrompt")
    await expect(prompt).to_have_text(re.compile(r"^\[\d+\]:$"))
    await expect(prompt).to_have_attribute("data-pb-cell-number", "2")
    title = await ada.cell(1).locator(".cell-number").get_attribute("title")
    await expect(prompt).to_have_attribute("title", title or "")
    await lab_page.locator(".jp-NotebookPanel").screenshot(
        path=str(screenshots / "lab-numbers.png")
    )
    # A cell inserted above the first in the browser: JupyterLab renumbers every cell.
    await ada.cell(0).click()
    await ada.page.keyboard.press("Escape")
    await ada.page.keyboard.press("a")
    await lab_page.wait_for_function(f"() => ({LAB_NUMBERS})() === {lab_numbers(4)!r}")
    x_cell = lab_page.locator(".jp-Notebook .jp-Cell", has_text="x = 21")
    await expect(x_cell.locator(".jp-InputPrompt")).to_have_attribute("data-pb-cell-number", "3")
    assert ada.errors == []


async def test_the_kernel_state_sidebar_lists_each_variable_with_its_cell_and_person(
    party: Party, lab_page: Page, screenshots: Path
) -> None:
    notebook = "panels-state.ipynb"
    ada = await party.open(notebook, CELLS)
    owner = await owner_name(ada)
    await ada.edit_end(1)
    await ada.page.keyboard.press("Control+Enter")
    await expect(ada.cell(1).locator(".run-badge")).to_contain_text(
        f"run by {owner}", timeout=KERNEL
    )
    await lab_run(lab_page, 2)
    await expect(ada.cell(2).locator(".run-badge")).to_contain_text("run by Lin", timeout=KERNEL)

    await open_sidebar(lab_page, "pairbook: kernel state")
    panel = lab_page.locator("#pairbook-kernel-state")
    x = panel.locator("tr[data-name=x]")
    y = panel.locator("tr[data-name=y]")
    await expect(y).to_be_visible()
    await expect(x.locator("th")).to_contain_text("int")
    await expect(x.locator(".pb-State-value")).to_have_text("21")
    await expect(x.locator(".pb-State-defined")).to_have_text(f"cell 2{owner}")
    await expect(y.locator(".pb-State-value")).to_have_text("22")
    await expect(y.locator(".pb-State-defined")).to_have_text("cell 3Lin")
    # The browser client's panel says the same.
    await expect(ada.page.locator(".state-panel tr[data-name=y] .var-defined")).to_contain_text(
        "Lin"
    )
    await lab_page.screenshot(path=screenshots / "jupyterlab-panels.png")
    # A click on a name selects the cell that defined it.
    await x.get_by_role("button", name="x").click()
    assert (
        await lab_page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex"
        )
        == 1
    )
    assert ada.errors == []


async def test_in_mob_mode_a_jupyterlab_navigator_sees_who_drives_and_cannot_type(
    party: Party, lab_page: Page
) -> None:
    notebook = "panels-mob.ipynb"
    ada = await party.open(notebook, CELLS)
    owner = await owner_name(ada)
    mob = ada.page.locator(".mob-panel")
    await mob.get_by_role("button", name="Mob mode: one driver types").click()
    await expect(mob.locator(".mob-you")).to_have_text("You are driving")

    # JupyterLab says who drives, in the toolbar and in the mob sidebar.
    await expect(lab_page.locator(".pb-MobLabel")).to_have_text(f"Navigating · {owner} drives")
    await open_sidebar(lab_page, "pairbook: mob")
    sidebar = lab_page.locator("#pairbook-mob")
    await expect(sidebar.locator(".pb-Mob-you")).to_have_text(f"You are navigating: {owner} drives")
    await expect(sidebar.locator(".pb-Mob-driver")).to_contain_text(owner)
    await expect(sidebar.get_by_role("button", name="Take the keyboard")).to_be_visible()

    # Lin's notebook is read-only: typing, adding and deleting cells change nothing.
    cell = lab_page.locator(".jp-Notebook .jp-Cell").nth(1)
    await expect(cell.locator(".cm-content")).to_have_attribute("aria-readonly", "true")
    await cell.locator(".cm-content").click()
    await lab_page.keyboard.type("sneaky")
    await expect(lab_page.locator(".Toastify__toast", has_text="is driving")).to_be_visible()
    await lab_page.keyboard.press("Escape")
    for key in ("b", "a", "d", "d", "x"):
        await lab_page.keyboard.press(key)
    await lab_page.keyboard.press("Shift+Enter")
    # The driver's typing still arrives: Lin's connection was never refused and reloaded.
    await ada.edit_end(1)
    await ada.page.keyboard.type("  # driven")
    await lab_page.wait_for_function(f"() => ({LAB_SOURCE})(1).endsWith('# driven')")
    assert "sneaky" not in await lab_page.evaluate(f"() => ({LAB_SOURCE})(1)")
    await expect(lab_page.locator(".jp-Notebook .jp-Cell")).to_have_count(3)
    assert len(await ada.sources()) == 3
    # Nor did the run reach the kernel: nobody ran the cell.
    await expect(ada.cell(1).locator(".run-badge")).to_be_hidden()
    await expect(cell.locator(".pb-RunBadge")).to_have_count(0)

    # The driver hands over: Lin drives, and types.
    await mob.get_by_role("button", name="Hand over now").click()
    await expect(lab_page.locator(".pb-MobLabel")).to_have_text("You drive")
    await expect(sidebar.locator(".pb-Mob-you")).to_have_text("You are driving")
    await expect(cell.locator(".cm-content")).not_to_have_attribute("aria-readonly", "true")
    await cell.locator(".cm-content").click()
    await lab_page.keyboard.press("Control+End")
    await lab_page.keyboard.type("  # Lin drives")
    await ada.wait_source(1, "s => s.endsWith('# Lin drives')")
    assert ada.errors == []


async def test_jupyterlab_interrupts_the_room_kernel_with_its_own_keys(
    party: Party, lab_page: Page
) -> None:
    notebook = "interrupt.ipynb"
    await party.lab(notebook, ["import time\nfor _ in range(600): time.sleep(0.1)"])
    cell = lab_page.locator(".jp-Notebook .jp-Cell").nth(1)
    await cell.locator(".cm-content").click()
    await lab_page.keyboard.press("Shift+Enter")
    await expect(lab_page.locator(".pb-KernelStatus")).to_contain_text(
        "running for Lin", timeout=KERNEL
    )
    await lab_page.keyboard.press("Escape")  # command mode: JupyterLab's I, I
    await lab_page.keyboard.press("i")
    await lab_page.keyboard.press("i")
    await expect(cell.locator(".jp-OutputArea")).to_contain_text(
        "KeyboardInterrupt", timeout=KERNEL
    )
    await expect(lab_page.locator(".pb-KernelStatus")).to_contain_text("idle")
