"""Rich outputs: programs (HTML with scripts, JavaScript, plotly, vega-lite) run in a sandboxed
frame that cannot reach the page; charts from real kernel runs render; LaTeX typesets; plain
HTML stays in the page, sanitized."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from playwright.async_api import Browser, Frame, Page, expect
from pycrdt import Map

from support.browser import NotebookTab, invite
from support.client import YClient
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""

# Everything a hostile output would try, each attempt's outcome reported to the page by
# postMessage (the page's own listener, installed by the test, collects it).
HOSTILE = """<div id="probe">probe</div>
<script>
const report = {}
const attempt = (name, action) => {
  try { report[name] = 'done:' + String(action()) } catch (e) { report[name] = 'blocked:' + e.name }
}
attempt('cookie', () => document.cookie)
attempt('storage', () => localStorage.getItem('pairbook.canary'))
attempt('session', () => sessionStorage.length)
attempt('parentTitle', () => parent.document.title)
attempt('parentWrite', () => { parent.document.body.append('PWNED'); return 'written' })
attempt('parentGlobal', () => parent.pairbook.notebook)
attempt('topNavigate', () => { top.location.href = '/api/me#pwned'; return 'navigated' })
attempt('open', () => window.open('/api/me'))
parent.postMessage({ tag: 'pairbook-output-frame', kind: 'size', height: 123456 }, '*')
const socket = new Promise((resolve) => {
  const ws = new WebSocket('ws://' + location.host + '/rooms/hostile.ipynb')
  ws.onopen = () => resolve('done:open')
  ws.onerror = () => resolve('blocked:error')
})
const fetched = fetch('/api/me').then(() => 'done', (e) => 'blocked:' + e.name)
Promise.all([socket, fetched]).then(([socketOutcome, fetchOutcome]) => {
  report.socket = socketOutcome
  report.fetch = fetchOutcome
  report.origin = String(self.origin)
  document.getElementById('probe').textContent = JSON.stringify(report)
  parent.postMessage({ hostileReport: report }, '*')
})
</script>"""


def notebook_with_outputs(path: Path, outputs: list[object], markdown: str = "# Outputs") -> None:
    cell = new_code_cell("shown()", id="out")
    cell.outputs = outputs
    nbformat.write(new_notebook(cells=[new_markdown_cell(markdown), cell]), path)


async def page_scripts(page: Page) -> list[str]:
    """The scripts the page itself (not its frames) has loaded."""
    names: list[str] = await page.evaluate(
        "() => performance.getEntriesByType('resource').map((e) => e.name)"
        ".filter((name) => name.endsWith('.js'))"
    )
    return names


async def frame_of(page: Page, locator_index: int = 0) -> Frame:
    """The Playwright frame of the `locator_index`-th output frame once it has rendered."""
    element = page.locator("iframe.output-frame").nth(locator_index)
    await element.wait_for()
    handle = await element.element_handle()
    assert handle is not None
    frame = await handle.content_frame()
    assert frame is not None
    await frame.wait_for_selector("body[data-rendered]")
    return frame


async def test_a_script_in_an_html_output_cannot_reach_the_page(
    browser: Browser, server: ServerProcess
) -> None:
    notebook_with_outputs(
        server.root / "hostile.ipynb",
        [new_output("display_data", data={"text/html": HOSTILE, "text/plain": "probe"})],
    )
    tab = await NotebookTab.open(browser, server, "hostile.ipynb")
    page = tab.page
    await page.evaluate(
        """() => {
            localStorage.setItem('pairbook.canary', 'secret-canary')
            document.cookie = 'canary=secret-cookie'
            window.hostileReports = []
            window.addEventListener('message', (event) => {
                const report = event.data && event.data.hostileReport
                if (report) window.hostileReports.push({ origin: event.origin, report })
            })
            // The frame rendered before the listener: render it again (a new frame, same output).
            const frame = document.querySelector('iframe.output-frame')
            frame.src = frame.src
        }"""
    )
    await page.wait_for_function("() => window.hostileReports.length > 0")
    received = await page.evaluate("() => window.hostileReports[0]")
    report = received["report"]
    # The frame's origin is opaque: the page sees 'null', the frame itself 'null'.
    assert received["origin"] == "null"
    assert report["origin"] == "null"
    for attempt in ("cookie", "storage", "session", "parentTitle", "parentWrite", "parentGlobal"):
        assert report[attempt].startswith("blocked:"), (attempt, report[attempt])
    assert "secret" not in json.dumps(report)
    assert report["fetch"].startswith("blocked:"), report["fetch"]
    assert report["socket"].startswith("blocked:"), report["socket"]
    assert not report["open"].startswith("done:[object"), report["open"]  # no window opened
    # Nothing changed in the page: its DOM, its storage, its address, its globals.
    assert await page.evaluate("() => document.body.textContent.includes('PWNED')") is False
    assert await page.evaluate("() => localStorage.getItem('pairbook.canary')") == "secret-canary"
    assert page.url.endswith("/notebooks/hostile.ipynb")
    assert len(page.context.pages) == 1
    # The frame sized itself (within the page's bound), and only itself.
    height = await page.evaluate(
        "() => document.querySelector('iframe.output-frame').getBoundingClientRect().height"
    )
    assert 0 < height <= 4000
    assert await page.locator("iframe.output-frame").get_attribute("sandbox") == "allow-scripts"
    # What the frame showed is its report, written in its own document.
    frame = await frame_of(page)
    assert json.loads(await frame.locator("#probe").text_content() or "{}")["cookie"].startswith(
        "blocked:"
    )
    assert tab.errors == []
    await tab.close()


async def test_a_frame_sizes_itself_and_nothing_else(
    browser: Browser, server: ServerProcess
) -> None:
    quiet = "<p>quiet</p><script>document.title = 'quiet'</script>"
    notebook_with_outputs(
        server.root / "sizes.ipynb",
        [
            new_output("display_data", data={"text/html": quiet}),
            new_output("display_data", data={"text/html": quiet.replace("quiet", "loud")}),
        ],
    )
    tab = await NotebookTab.open(browser, server, "sizes.ipynb")
    frames = tab.page.locator("iframe.output-frame")
    quiet_frame = await frame_of(tab.page, 0)
    loud_frame = await frame_of(tab.page, 1)
    await expect(quiet_frame.locator("p")).to_have_text("quiet")
    before = await frames.nth(0).evaluate("f => f.offsetHeight")
    assert 0 < before < 200
    size = "h => parent.postMessage({tag: 'pairbook-output-frame', kind: 'size', height: h}, '*')"
    # The page's own window (or any other) is not a frame: its size message changes nothing.
    await tab.page.evaluate(size.replace("parent.", "window."), 2222)
    # The loud frame's script asks for 3333 px: it gets them, the quiet frame keeps its height.
    await loud_frame.evaluate(size, 3333)
    await expect(frames.nth(1)).to_have_js_property("offsetHeight", 3333)
    assert await frames.nth(0).evaluate("f => f.offsetHeight") == before
    # Past the page's bound, a frame gets the bound (its content scrolls inside it).
    await loud_frame.evaluate(size, 10**9)
    await expect(frames.nth(1)).to_have_js_property("offsetHeight", 4000)
    assert tab.errors == []
    await tab.close()


async def test_charts_from_kernel_runs_render_in_frames(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    write_notebook(
        server.root / "charts.ipynb",
        [
            "import plotly.express as px\n"
            "px.scatter(x=[1, 2, 3, 4], y=[3, 1, 4, 2], title='plotly here')",
            "import altair as alt, pandas as pd\n"
            "df = pd.DataFrame({'a': list('ABC'), 'b': [4, 7, 2]})\n"
            "alt.Chart(df, title='altair here').mark_bar().encode(x='a:O', y='b')",
            "alt.renderers.enable('mimetype')\n"
            "alt.Chart(df, title='vega-lite mime').mark_point().encode(x='a:O', y='b')",
            "from IPython.display import Javascript\n"
            "Javascript(\"element.textContent = 'js ran in ' + self.origin\")",
            "from IPython.display import Math\nMath(r'\\frac{1}{2} + \\sqrt{x}')",
            "import plotly.io as pio\n"
            "pio.show(px.bar(x=['a', 'b'], y=[3, 4], title='plotly html'),"
            " renderer='notebook_connected')",
        ],
    )
    tab = await NotebookTab.open(browser, server, "charts.ipynb")
    await tab.page.set_viewport_size({"width": 1280, "height": 900})
    await tab.page.get_by_role("button", name="Run all cells", exact=True).click()
    frames = tab.page.locator("iframe.output-frame")
    # (plotly's "notebook_connected" renderer shows its loader's HTML, then the figure's.)
    await expect(frames).to_have_count(6, timeout=KERNEL_START)
    renderers = [await frames.nth(i).get_attribute("data-renderer") for i in range(6)]
    assert renderers == ["plotly", "html", "vega", "javascript", "html", "html"]
    await expect(tab.page.get_by_title("Plotly chart")).to_have_count(1)  # for screen readers
    plotly = await frame_of(tab.page, 0)
    await expect(plotly.locator(".main-svg").first).to_be_visible()
    await expect(plotly.locator("g.point, path.point").first).to_be_attached()
    await expect(plotly.locator(".gtitle")).to_have_text("plotly here")
    await plotly.locator(".main-svg").first.hover()
    await expect(plotly.locator(".modebar-btn").first).to_be_attached()
    await expect(plotly.locator("[data-attr='zoom2d'], [data-val='zoom']").first).to_be_attached()
    await expect(plotly.locator("[data-title^='Download plot']")).to_have_count(0)
    await expect(plotly.locator("[data-title^='Share chart']")).to_have_count(0)
    altair = await frame_of(tab.page, 1)
    await expect(altair.locator(".vega-embed svg, .vega-embed canvas").first).to_be_visible()
    # No action menu whose downloads and popups the sandbox would refuse.
    await expect(altair.locator(".vega-embed details, .vega-actions")).to_have_count(0)
    vega = await frame_of(tab.page, 2)
    await expect(vega.locator(".vega-embed svg, .vega-embed canvas").first).to_be_visible()
    javascript = await frame_of(tab.page, 3)
    await expect(javascript.locator("#output")).to_have_text("js ran in null")
    await expect(tab.cell(5).locator(".output-latex math mfrac")).to_have_count(1)
    # plotly's own HTML (its CDN refused) draws with pairbook's plotly.js.
    plotly_html = await frame_of(tab.page, 5)
    await expect(plotly_html.locator(".gtitle")).to_have_text("plotly html")
    # Each frame is as tall as its chart (a plotly figure is 450 px by default).
    assert 400 < await frames.nth(0).evaluate("f => f.offsetHeight") < 700
    # The renderers loaded in the frames that needed them; the page itself stays light.
    scripts = await page_scripts(tab.page)
    assert not [s for s in scripts if "/output-frame/" in s], scripts
    # A viewer who arrives later sees the same charts.
    viewer = await NotebookTab.open(
        browser, server, "charts.ipynb", token=invite(server, "viewer"), join_as="Vera"
    )
    viewer_plotly = await frame_of(viewer.page, 0)
    await expect(viewer_plotly.locator(".gtitle")).to_have_text("plotly here")
    assert viewer.errors == []
    await viewer.close()
    for width, name in ((1280, "outputs.png"), (1920, "outputs-1920.png")):
        await tab.page.set_viewport_size({"width": width, "height": 1000})
        await tab.cell(1).scroll_into_view_if_needed()
        await tab.screenshot(screenshots / name)
    # The replay shows the charts at the moment it opens on (the last one), framed the same.
    await tab.page.goto(f"{server.base}/replay/charts.ipynb")
    await tab.page.wait_for_function("() => window.pairbookReplay?.ready === true")
    replayed = await frame_of(tab.page, 0)
    await expect(replayed.locator(".gtitle")).to_have_text("plotly here")
    await tab.screenshot(screenshots / "outputs-replay.png")
    assert tab.errors == []
    await tab.close()


async def test_latex_typesets_in_markdown_and_outputs(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    notebook_with_outputs(
        server.root / "latex.ipynb",
        [
            new_output(
                "display_data",
                data={"text/latex": r"$$\frac{a}{b} + \sqrt{x}$$", "text/plain": "a/b"},
            )
        ],
        markdown=r"Euler: $e^{i\pi} + 1 = 0$ and $$\sum_{k=1}^{n} k = \frac{n(n+1)}{2}$$",
    )
    tab = await NotebookTab.open(browser, server, "latex.ipynb")
    rendered = tab.cell(0).locator(".cell-rendered")
    await expect(rendered.locator("math")).to_have_count(2)
    await expect(rendered.locator("math msup").first).to_be_visible()
    await expect(rendered.locator("math mfrac")).to_have_count(1)
    assert "$" not in (await rendered.text_content() or "")
    output = tab.cell(1).locator(".output-latex")
    await expect(output.locator("math mfrac")).to_have_count(1)
    await expect(output.locator("math msqrt")).to_have_count(1)
    # KaTeX came with the first math the page showed.
    assert [s for s in await page_scripts(tab.page) if "/assets/math-" in s]
    await tab.screenshot(screenshots / "outputs-latex.png")
    assert tab.errors == []
    await tab.close()


async def test_plain_html_stays_in_the_page_and_scripted_or_styled_html_goes_to_a_frame(
    browser: Browser, server: ServerProcess
) -> None:
    # pandas' data frame: a <style scoped> of alignment rules, which the page's style replaces.
    frame_html = "<style scoped>\n    .dataframe thead th {\n        text-align: right;\n    }\n"
    frame_html += '</style>\n<table border="1" class="dataframe"><tr><td>7</td></tr></table>'
    styler = '<style type="text/css">#T_x_row0_col0 { color: rgb(255, 0, 0); }</style>'
    styler += '<table id="T_x"><tr><td id="T_x_row0_col0">8</td></tr></table>'
    notebook_with_outputs(
        server.root / "tables.ipynb",
        [
            new_output("display_data", data={"text/html": frame_html}),
            new_output(
                "display_data",
                data={"text/html": "<b id='b'>bold</b><img src=x onerror='window.pwned=1'>"},
            ),
            new_output("display_data", data={"text/html": styler}),
        ],
    )
    tab = await NotebookTab.open(browser, server, "tables.ipynb")
    outputs = tab.cell(1).locator(".cell-outputs")
    await expect(outputs.locator(".output-html td")).to_have_text("7")
    assert await outputs.locator(".output-html [style], .output-html style").count() == 0
    await expect(outputs.locator("iframe.output-frame")).to_have_count(2)
    scripted = await frame_of(tab.page, 0)
    await expect(scripted.locator("#b")).to_have_text("bold")
    assert await tab.page.evaluate("() => window.pwned") is None
    # A Styler's colours show, in its frame.
    styled = await frame_of(tab.page, 1)
    await expect(styled.locator("td")).to_have_css("color", "rgb(255, 0, 0)")
    # A notebook without math or charts: the page loaded neither KaTeX nor a renderer.
    scripts = await page_scripts(tab.page)
    assert not [s for s in scripts if "/output-frame/" in s or "/math-" in s], scripts
    assert tab.errors == []
    await tab.close()


async def test_a_bokeh_plot_from_a_kernel_run_renders_with_the_bokehjs_pairbook_serves(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    pytest.importorskip("bokeh", reason="bokeh plots render with the bokeh package's BokehJS")
    write_notebook(
        server.root / "bokeh.ipynb",
        [
            "from bokeh.io import output_notebook\n"
            "from bokeh.plotting import figure, show\n"
            "output_notebook()\n"
            "p = figure(width=420, height=260, title='bokeh here')\n"
            "p.line([1, 2, 3, 4], [3, 1, 4, 2], line_width=3)\n"
            "show(p)",
        ],
    )
    tab = await NotebookTab.open(browser, server, "bokeh.ipynb")
    await tab.page.get_by_role("button", name="Run all cells", exact=True).click()
    frames = tab.page.locator("iframe.output-frame")
    plot = tab.page.locator("iframe.output-frame[data-renderer='bokeh']")
    await expect(plot).to_have_count(1, timeout=KERNEL_START)
    await expect(frames).to_have_count(1)
    # BokehJS's loader (which would fetch it from a CDN) shows nothing; the frame brings it.
    # ... and so do its banner and the element bokeh shows before the plot.
    await expect(tab.cell(1).locator(".output-hidden")).to_have_count(3)
    await expect(tab.cell(1).locator(".cell-outputs")).not_to_contain_text("Loading BokehJS")
    bokeh = await frame_of(tab.page)
    await expect(bokeh.locator("canvas").first).to_be_visible()
    await expect(frames.first).to_have_js_property("offsetHeight", 260 + 8)
    await tab.cell(1).scroll_into_view_if_needed()
    await tab.screenshot(screenshots / "outputs-bokeh.png")
    assert tab.errors == []
    await tab.close()


async def test_a_framed_output_renders_again_when_its_cell_moves(
    browser: Browser, server: ServerProcess
) -> None:
    script = (
        "<p id='p'>script output</p><script>document.getElementById('p').dataset.ran = '1'</script>"
    )
    notebook_with_outputs(
        server.root / "moves.ipynb",
        [new_output("display_data", data={"text/html": script})],
    )
    tab = await NotebookTab.open(browser, server, "moves.ipynb")
    frame = await frame_of(tab.page)
    await expect(frame.locator("#p[data-ran='1']")).to_have_text("script output")
    # Moving the cell moves its frame in the page, which reloads it: it gets its bundle again.
    await tab.edit_end(1)
    await tab.page.keyboard.press("Escape")
    await tab.cell(1).get_by_role("button", name="Move cell up").click()
    await expect(tab.cell(0).locator("iframe.output-frame")).to_have_count(1)
    moved = await frame_of(tab.page)
    await expect(moved.locator("#p[data-ran='1']")).to_have_text("script output")
    assert tab.errors == []
    await tab.close()


async def test_an_output_a_peer_wrote_malformed_shows_as_such_and_blanks_nothing(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    tab = await NotebookTab.open(browser, server, notebook)
    await expect(tab.page.locator(".cell")).to_have_count(3)
    async with YClient(server.ws_url(notebook)) as peer:
        youtputs = peer.cells[1]["outputs"]
        youtputs.append(Map({"output_type": "display_data", "data": 5, "metadata": "x"}))
        youtputs.append(Map({"output_type": "execute_result", "data": {"text/html": ["<b>", 7]}}))
        outputs = tab.cell(1).locator(".cell-outputs .output")
        await expect(outputs).to_have_count(3)
    # Every cell is still shown, and the page still follows the room.
    await expect(tab.page.locator(".cell")).to_have_count(3)
    await expect(outputs.nth(0)).to_have_text("1")
    await expect(outputs.nth(1)).to_have_text("[empty output]")  # its data is not a bundle
    await tab.close()
    # A page opened afterwards shows the whole notebook too (it showed none of it).
    late = await NotebookTab.open(browser, server, notebook)
    await expect(late.page.locator(".cell")).to_have_count(3)
    await expect(late.cell(1).locator(".cell-outputs .output")).to_have_count(3)
    await late.close()
