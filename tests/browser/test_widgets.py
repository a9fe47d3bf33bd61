"""Shared widgets in three Chromium pages on a real ipykernel with ipywidgets: `interact` run
in one page, its slider dragged by a second person, every page shows the new output; a
viewer's widgets are locked; a reload keeps the state; the replay shows the slider moving."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Locator, expect

from support.browser import NotebookTab, invite
from support.notebooks import write_notebook
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""

INTERACT = (
    "from ipywidgets import interact\ndef f(x):\n    print('x is', x)\ninteract(f, x=(0, 10));"
)


def widget(tab: NotebookTab) -> Locator:
    return tab.cell(1).locator(".widget-area")


async def drag_slider_right(tab: NotebookTab, fraction: float) -> None:
    """Drag the cell's slider handle right by `fraction` of its track, in small steps."""
    handle = widget(tab).locator(".noUi-handle").first
    track = widget(tab).locator(".noUi-target").first
    hbox, tbox = await handle.bounding_box(), await track.bounding_box()
    assert hbox is not None
    assert tbox is not None
    x, y = hbox["x"] + hbox["width"] / 2, hbox["y"] + hbox["height"] / 2
    await tab.page.mouse.move(x, y)
    await tab.page.mouse.down()
    for step in range(1, 21):
        await tab.page.mouse.move(x + tbox["width"] * fraction * step / 20, y)
    await tab.page.mouse.up()


async def test_a_slider_dragged_by_one_person_moves_every_page_and_the_replay(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    name = "widgets-interact.ipynb"
    write_notebook(server.root / name, [INTERACT])
    ana = await NotebookTab.open(browser, server, name)
    grace = await NotebookTab.open(
        browser, server, name, token=invite(server, "editor"), join_as="Grace Hopper"
    )
    vi = await NotebookTab.open(
        browser, server, name, token=invite(server, "viewer"), join_as="Vi Ewer"
    )
    tabs = (ana, grace, vi)

    await ana.cell(1).click()
    await ana.page.keyboard.press("Shift+Enter")
    for tab in tabs:
        await expect(widget(tab).locator(".widget-readout")).to_have_text("5", timeout=KERNEL_START)
        await expect(widget(tab).locator(".widget-output")).to_contain_text("x is 5")
    await expect(widget(vi)).to_have_class(re.compile("widget-read-only"))
    assert await widget(vi).evaluate("area => area.inert") is True

    await drag_slider_right(grace, 0.3)
    readout = widget(grace).locator(".widget-readout")
    await expect(readout).not_to_have_text("5")
    moved = (await readout.text_content() or "").strip()
    assert moved.isdigit()
    assert int(moved) > 5
    for tab in tabs:
        await expect(widget(tab).locator(".widget-readout")).to_have_text(moved)
        await expect(widget(tab).locator(".widget-output")).to_have_text(
            re.compile(f"x is {moved}\\s*$")
        )
    await ana.screenshot(screenshots / "widgets.png")

    # A reload keeps the shared state: the map holds it, not the page.
    await grace.page.reload()
    await grace.wait_connected()
    await expect(widget(grace).locator(".widget-readout")).to_have_text(moved)
    await expect(widget(grace).locator(".widget-output")).to_contain_text(f"x is {moved}")

    # The replay: at the end the slider is where Grace left it; before her first change it
    # is where the run put it; the timeline says who moved it.
    page = vi.page
    replay = f"{server.base}/replay/{quote(name)}?token={quote(OWNER_TOKEN)}"
    await page.goto(replay)
    await page.wait_for_function("() => window.pairbookReplay?.ready === true")
    shown = page.locator(".replay-notebook .cells > .cell").nth(1).locator(".widget-area")
    await expect(shown.locator(".widget-readout")).to_have_text(moved)
    assert await shown.evaluate("area => area.inert") is True
    timeline = await page.evaluate("() => window.pairbookReplay.timeline")
    changes = [e for e in timeline["events"] if e["kind"] == "widget"]
    assert changes
    assert {e["user"] for e in changes} == {
        next(
            e["user"]
            for e in timeline["events"]
            if e["kind"] == "join" and e["data"]["name"] == "Grace Hopper"
        )
    }
    await page.goto(f"{replay}&seq={changes[0]['seq']}")  # noted as the kernel took it
    await page.wait_for_function("() => window.pairbookReplay?.ready === true")
    await expect(shown.locator(".widget-readout")).to_have_text("5")
    await expect(shown.locator(".widget-output")).to_contain_text("x is 5")
    # Each change's moment (the one after its note) shows the slider further along (its
    # output follows a moment or two later: the kernel's callback printed after its echo).
    values = []
    for change in changes:
        await page.goto(f"{replay}&seq={change['seq'] + 1}")
        await page.wait_for_function("() => window.pairbookReplay?.ready === true")
        await expect(shown.locator(".widget-readout")).not_to_have_text("5")
        values.append(int((await shown.locator(".widget-readout").text_content() or "").strip()))
    assert values == sorted(values)
    assert values[-1] == int(moved)

    for tab in tabs:
        assert tab.errors == []
        await tab.close()


CONTROLS = """import ipywidgets as w
import matplotlib
matplotlib.use('module://matplotlib_inline.backend_inline')
import matplotlib.pyplot as plt
out = w.Output()
clicks = []
button = w.Button(description='Press me')
def pressed(b):
    clicks.append(1)
    with out:
        print('pressed', len(clicks))
button.on_click(pressed)
fs = w.FloatSlider(value=0.5, min=0, max=1, step=0.1, description='f')
dd = w.Dropdown(options=['red', 'green', 'blue'], value='red', description='colour')
cb = w.Checkbox(value=False, description='check')
tx = w.Text(value='', description='text')
tb = w.ToggleButtons(options=['one', 'two', 'three'])
dp = w.DatePicker(description='day')
play = w.Play(value=0, min=0, max=1000, interval=50)
tab = w.Tab(children=[w.Label('first tab'), w.Label('second tab')], titles=('A', 'B'))
acc = w.Accordion(children=[w.Label('inside')], titles=('Open me',))
html = w.HTML('<b>bold</b><img src=x onerror="window.pwned=1"><style>body{display:none}</style>',
              description='<i>said</i><img src=y onerror="window.pwned=2">',
              description_allow_html=True)
w.VBox([w.HBox([button, fs, dd]), w.HBox([cb, tx, tb]), w.HBox([dp, play]), tab, acc, html, out])"""

PLOT = """def plot(n):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(range(n))
    plt.show()
    print('points', n)
w.interactive(plot, n=(2, 20))"""

FANCY = """from traitlets import Unicode
class Fancy(w.DOMWidget):
    _model_name = Unicode('FancyModel').tag(sync=True)
    _model_module = Unicode('fancy-widgets').tag(sync=True)
    _view_name = Unicode('FancyView').tag(sync=True)
    _view_module = Unicode('fancy-widgets').tag(sync=True)
    def __repr__(self):
        return 'Fancy(a widget from elsewhere)'
Fancy()"""

VALUES = (
    "print(fs.value, dd.value, cb.value, repr(tx.value), tb.value, dp.value, len(clicks),"
    " play.value > 0)"
)


def area(tab: NotebookTab, cell: int) -> Locator:
    return tab.cell(cell).locator(".widget-area").first


async def test_the_common_controls_work_for_everyone_and_a_restart_disconnects_them(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    name = "widgets-controls.ipynb"
    write_notebook(server.root / name, [CONTROLS, PLOT, FANCY, VALUES])
    ana = await NotebookTab.open(browser, server, name)
    bo = await NotebookTab.open(
        browser, server, name, token=invite(server, "editor"), join_as="Bo Lovelace"
    )
    await ana.page.get_by_role("button", name="Run all cells", exact=True).click()
    for tab in (ana, bo):
        await expect(area(tab, 1).locator(".widget-button")).to_have_text(
            "Press me", timeout=KERNEL_START
        )
        # interactive with a real matplotlib plot captured by its Output widget.
        await expect(area(tab, 2).locator(".widget-output img")).to_have_count(1)
        await expect(area(tab, 2).locator(".widget-output")).to_contain_text("points 11")
        # A widget library the page does not have: its text and a note, nothing broken.
        await expect(tab.cell(3).locator(".widget-note")).to_contain_text("fancy-widgets")
        await expect(tab.cell(3).locator(".widget-fallback")).to_have_text(
            "Fancy(a widget from elsewhere)"
        )
    for cell in (1, 2):
        await expect(ana.cell(cell).locator(".widget-note")).to_have_count(0)
    # The kernel's HTML is shown sanitized, as HTML outputs are: no handlers, no styles.
    await expect(area(ana, 1).locator(".widget-html-content b")).to_have_text("bold")
    await expect(area(ana, 1).locator(".widget-html i")).to_have_text("said")
    await expect(area(ana, 1).locator("[onerror], style")).to_have_count(0)
    assert await ana.page.evaluate("() => window.pwned") is None

    controls = area(bo, 1)
    await controls.get_by_role("button", name="Press me").click()
    await expect(area(ana, 1).locator(".widget-output")).to_have_text(re.compile(r"pressed 1\s*$"))
    await controls.locator(".widget-dropdown select").select_option("blue")
    await controls.locator(".widget-checkbox input").check()
    await controls.locator(".widget-text input").fill("hello")
    await controls.get_by_role("button", name="three").click()
    await controls.locator(".widget-datepicker input").fill("2026-12-04")
    await controls.locator(".widget-hslider .noUi-handle").first.focus()
    await bo.page.keyboard.press("ArrowRight")
    await controls.locator(".lm-TabBar-tab", has_text="B").click()
    await expect(area(ana, 1).locator(".lm-TabBar-tab.lm-mod-current")).to_have_text("B")
    await expect(area(ana, 1).locator(".widget-dropdown select")).to_have_value("blue")
    await expect(area(ana, 1).locator(".widget-checkbox input")).to_be_checked()
    await expect(area(ana, 1).locator(".widget-text input")).to_have_value("hello")
    await expect(area(ana, 1).locator(".widget-readout").first).to_have_text("0.60")
    # Play animates in the page that pressed it; the others follow the shared value.
    play = area(ana, 1).locator(".widget-play button").first
    await play.click()
    await ana.page.wait_for_timeout(500)  # let it play a few steps
    await play.click()
    await ana.screenshot(screenshots / "widgets-controls.png")

    await ana.cell(4).click()
    await ana.page.keyboard.press("Shift+Enter")
    await expect(ana.cell(4).locator(".cell-outputs")).to_contain_text(
        "0.6 blue True 'hello' three 2026-12-04 1 True", timeout=KERNEL_START
    )

    # Mob mode: Ana drives; Bo, navigating, sees the widgets locked until it is his turn.
    panel = ana.page.locator(".mob-panel")
    await panel.get_by_role("button", name="Mob mode: one driver types").click()
    await expect(area(bo, 1)).to_have_class(re.compile("widget-read-only"))
    assert await area(bo, 1).evaluate("area => area.inert") is True
    await expect(area(ana, 1)).not_to_have_class(re.compile("widget-read-only"))
    await panel.get_by_role("button", name="Pair mode: everyone types").click()
    await expect(area(bo, 1)).not_to_have_class(re.compile("widget-read-only"))

    await ana.page.get_by_role("button", name="Restart the kernel", exact=True).click()
    await ana.page.get_by_role("button", name="Restart the kernel for everyone").click()
    for tab in (ana, bo):
        await expect(area(tab, 1)).to_have_class(re.compile("widget-gone"), timeout=KERNEL_START)
        await expect(area(tab, 1).locator(".widget-note")).to_contain_text(
            "from a kernel that is gone"
        )
        assert await area(tab, 1).evaluate("area => area.inert") is True
    for tab in (ana, bo):
        assert tab.errors == []
        await tab.close()
