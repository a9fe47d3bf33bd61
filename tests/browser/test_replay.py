"""Replay in the browser: the timeline, seeking, a link to a moment, playback and blame."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Page, expect

from support.browser import NotebookTab, invite
from support.client import YClient
from support.notebooks import write_notebook
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KERNEL_START = 60_000
"""Milliseconds: the first run starts a real ipykernel, slow on a busy machine."""


async def open_replay(tab: NotebookTab, url: str) -> None:
    """Opens a replay page and waits until it shows its first moment."""
    await tab.page.goto(url)
    await tab.page.wait_for_function("() => window.pairbookReplay?.ready === true")


async def replay_seq(tab: NotebookTab) -> int:
    seq: int = await tab.page.evaluate("() => window.pairbookReplay.seq")
    return seq


async def replay_sources(tab: NotebookTab) -> list[str]:
    result: list[str] = await tab.page.evaluate(
        "() => window.pairbookReplay.notebook.cells.map(c => c.getSource())"
    )
    return result


async def test_the_replay_page_seeks_plays_links_and_blames(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    ana = await NotebookTab.open(browser, server, notebook)
    grace = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Grace Hopper"
    )
    await ana.edit_end(1)
    await ana.page.keyboard.type("\ntotal = x * 10", delay=40)
    await grace.wait_source(1, "s => s.endsWith('total = x * 10')")
    await grace.edit_end(2)
    await grace.page.keyboard.type("\nprint(total + y)", delay=40)
    await ana.wait_source(2, "s => s.endsWith('print(total + y)')")
    await ana.edit_end(1)
    await ana.page.keyboard.type("\nprint('total is', total)", delay=40)
    await ana.page.keyboard.press("Shift+Enter")
    await expect(grace.cell(1).locator(".cell-outputs")).to_contain_text(
        "total is 10", timeout=KERNEL_START
    )
    final = await ana.sources()

    # Blame on demand in the live notebook: Grace's line is hers.
    await (await ana.tool("Blame")).click()
    await expect(ana.cell(2).locator(".blame-line").last).to_contain_text("Grace Hopper")
    await expect(ana.cell(1).locator(".blame-line").first).to_contain_text("the file")
    await expect(ana.cell(1).locator(".blame-line").last).to_contain_text("Owner")
    await expect(ana.page.locator(".recording-badge")).to_have_text("● Recording")
    # Grace pauses the recording: everyone sees it; then she resumes it.
    await (await grace.tool("Pause recording")).click()
    await expect(ana.page.locator(".recording-badge")).to_have_text("○ Not recording")
    await (await grace.tool("Resume recording")).click()
    await expect(ana.page.locator(".recording-badge")).to_have_text("● Recording")

    # The replay page: the timeline has both people's edits, in their colors.
    page = ana.page
    await open_replay(ana, f"{server.base}/replay/{quote(notebook)}?token={quote(OWNER_TOKEN)}")
    await expect(page.locator(".lane-label[data-lane]")).to_have_text(
        ["Session", "Owner", "Grace Hopper"]  # the session's lane: the kernel starting
    )
    await expect(page.locator(".banner")).to_contain_text("Recording was turned off once")
    await expect(page.locator(".timeline-off")).to_have_count(1)
    assert await page.locator(".lane-density rect[fill]").count() > 2
    timeline = await page.evaluate("() => window.pairbookReplay.timeline")
    # Seek: a click on the timeline where Grace joined shows a moment before she typed.
    track = page.locator(".timeline-body")
    box = await track.bounding_box()
    assert box is not None
    joined = next(
        e["ts"]
        for e in timeline["events"]
        if e["kind"] == "join" and e["data"]["name"] == "Grace Hopper"
    )
    at = (joined - timeline["start_ts"]) / (timeline["end_ts"] - timeline["start_ts"])
    shown = await replay_seq(ana)  # the page opened at the last moment
    await track.click(position={"x": box["width"] * at, "y": box["height"] / 2})
    await page.wait_for_function("s => window.pairbookReplay.seq !== s", arg=shown)
    early = await replay_seq(ana)
    assert 0 < early < timeline["last_seq"]
    assert not (await replay_sources(ana))[2].endswith("print(total + y)")
    assert f"?seq={early}" in page.url
    # The run is on the timeline; "Next run" steps to just after it, its output shown.
    await expect(page.locator(".mark-run")).to_have_count(1)
    await page.get_by_role("button", name="Step to the end of the next run").click()
    await expect(page.locator(".replay-notebook .cells > .cell").nth(1)).to_contain_text(
        "total is 10"
    )
    await page.wait_for_function("s => window.pairbookReplay.seq > s", arg=early)
    # Its badge tells the run's time relative to the moment shown, not to now.
    badge = page.locator(".replay-notebook .cells > .cell").nth(1).locator(".run-text")
    await expect(badge).to_contain_text(re.compile(r"run by Owner · (at this moment|\d+ s before)"))
    # Play at 32x to the end: the replay reaches what the live notebook holds.
    await page.get_by_label("Playback speed").select_option("32")
    await page.get_by_role("button", name="Play").click()
    await page.wait_for_function(
        "last => window.pairbookReplay.seq >= last", arg=timeline["last_seq"], timeout=60_000
    )
    await expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert await replay_sources(ana) == final
    # A link to a moment opens that moment; blame shows who wrote each line then.
    await open_replay(ana, f"{server.base}/replay/{quote(notebook)}?seq={early}")
    assert await replay_seq(ana) == early
    await open_replay(ana, f"{server.base}/replay/{quote(notebook)}")
    await page.evaluate("last => window.pairbookReplay.seek({ seq: last })", timeline["last_seq"])
    await page.get_by_label("Show who wrote each line").check()
    cells = page.locator(".replay-notebook .cells > .cell")
    await expect(cells.nth(2).locator(".blame-line").last).to_contain_text("Grace Hopper")
    await expect(cells.nth(1).locator(".blame-line").last).to_contain_text("Owner")
    await track.click(position={"x": box["width"] * 0.55, "y": box["height"] / 2})
    await page.wait_for_function(
        "last => window.pairbookReplay.seq < last", arg=timeline["last_seq"]
    )
    await expect(cells.nth(1).locator(".blame-line").first).to_be_visible()
    # The recorded people's carets are shown where they were.
    await expect(page.locator(".replay-notebook .cm-ySelectionCaret").first).to_be_attached()
    await ana.screenshot(screenshots / "replay.png")
    assert ana.errors == []
    assert grace.errors == []
    await ana.close()
    await grace.close()


async def test_following_a_person_in_the_replay_scrolls_to_their_cell(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    write_notebook(server.root / notebook, [f"value_{i} = {i}" for i in range(40)])
    ana = await NotebookTab.open(browser, server, notebook)
    grace = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Grace Hopper"
    )
    await grace.edit_end(35)
    await grace.page.keyboard.type("  # Grace was here", delay=20)
    await ana.wait_source(35, "s => s.endsWith('# Grace was here')")
    page = ana.page
    await open_replay(ana, f"{server.base}/replay/{quote(notebook)}")
    last = await page.evaluate("() => window.pairbookReplay.timeline.last_seq")
    await page.evaluate("last => window.pairbookReplay.seek({ seq: last })", last)
    cell = page.locator(".replay-notebook .cells > .cell").nth(35)
    await expect(cell).to_contain_text("# Grace was here")
    await expect(cell).not_to_be_in_viewport()
    await page.get_by_label("Follow a person").select_option(label="Follow Grace Hopper")
    await expect(cell).to_be_in_viewport()
    assert ana.errors == []
    await ana.close()
    await grace.close()


async def in_viewport(page: Page, selector: str) -> bool:
    """Whether the element's whole bounding box is inside the window."""
    box = await page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None
    assert size is not None
    return box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


async def command(tab: NotebookTab, name: str, **args: Any) -> None:
    """A pairbook command from this tab's own websocket (what its buttons send)."""
    reply = await tab.page.evaluate(
        "([name, args]) => window.pairbook.connection.command(name, args)", [name, args]
    )
    assert reply["ok"], reply


async def test_the_replay_opens_at_the_end_with_chat_roles_and_a_transport_that_stays(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    write_notebook(server.root / notebook, [f"step_{i} = {i}" for i in range(30)])
    ana = await NotebookTab.open(browser, server, notebook)
    grace = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Grace Hopper"
    )
    vi = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "viewer"), join_as="Vi Viewer"
    )
    owner = await ana.page.evaluate("() => window.pairbook.awareness.getLocalState().user.name")
    # A mob session watched by a viewer: Ana drives and types, says so in the chat, hands
    # over; Grace types and chats; the viewer asks something.
    await command(ana, "mob-mode", mode="mob")
    await command(ana, "mob-settings", viewer_chat=True)  # the viewer may ask in the chat
    await ana.edit_end(1)
    await ana.page.keyboard.type("  # Ana drives", delay=20)
    await grace.wait_source(1, "s => s.endsWith('# Ana drives')")
    await command(ana, "mob-chat", text="Grace, you drive next")
    await command(ana, "mob-handover")
    await grace.page.wait_for_function(
        "() => window.pairbook.notebook.ydoc.getMap('mob').get('driver')"
        " === window.pairbook.awareness.getLocalState().user.id"
    )
    await expect(grace.editor(2)).to_have_attribute("aria-readonly", "false")
    await grace.edit_end(2)
    await grace.page.keyboard.type("  # Grace drives", delay=20)
    await ana.wait_source(2, "s => s.endsWith('# Grace drives')")
    await command(grace, "mob-chat", text="typing now")
    await command(vi, "mob-chat", text="why step_1?")

    # The replay opens at the last moment, with the chat and the driver beside the notebook.
    page = ana.page
    await page.set_viewport_size({"width": 1280, "height": 800})
    await open_replay(ana, f"{server.base}/replay/{quote(notebook)}")
    timeline = await page.evaluate("() => window.pairbookReplay.timeline")
    assert await replay_seq(ana) == timeline["last_seq"]
    assert (await replay_sources(ana))[2].endswith("# Grace drives")
    side = page.locator(".replay-side")
    await expect(side.locator(".moment-driver")).to_have_text("Driving: Grace Hopper")
    turns = side.locator(".moment-turn-list li")
    await expect(turns).to_have_count(2)
    await expect(turns.first).to_contain_text(f"{owner} · ")
    await expect(turns.last).to_contain_text("Grace Hopper · driving for ")
    await expect(side.locator(".moment-chat-who")).to_have_text(
        [owner, "Grace Hopper", "Vi Viewer"]
    )
    await expect(side.locator(".moment-chat-text")).to_have_text(
        ["Grace, you drive next", "typing now", "why step_1?"]
    )
    # One lane per person, named; their marks say who, by name, never by raw id.
    grace_id = next(i for i, p in timeline["people"].items() if p["name"] == "Grace Hopper")
    await expect(page.locator(".lane-label[data-lane]")).to_contain_text(
        [owner, "Grace Hopper", "Vi Viewer"]
    )
    lane = page.locator(f".lane[data-lane='{grace_id}']")
    await expect(lane.locator(".mark-chat")).to_have_attribute(
        "title", re.compile("^Grace Hopper: “typing now” · \\d\\d:\\d\\d:\\d\\d$")
    )
    await expect(lane.locator(".mark-role").last).to_have_attribute(
        "title",
        re.compile(f"^{owner} handed over · mob mode: Grace Hopper drives; {owner} navigates"),
    )
    titles = await page.locator(".mark").evaluate_all("marks => marks.map(m => m.title)")
    assert titles
    assert not [t for t in titles if grace_id in t]
    await expect(page.locator(".axis-tick").first).to_have_text(re.compile(r"^\d\d:\d\d"))
    await ana.screenshot(screenshots / "replay-mob.png")

    # Scrolled to the bottom of the notebook, the transport and the timeline stay on screen.
    await page.locator(".replay-notebook .cells > .cell").last.scroll_into_view_if_needed()
    assert await page.evaluate("() => window.scrollY") > 600
    for selector in (".replay-controls", ".timeline-body", ".replay-side .moment-driver"):
        assert await in_viewport(page, selector), selector
    await ana.screenshot(screenshots / "replay-mob-scrolled.png")

    # Keys: Home goes to the start (no chat yet, nobody driving), End back, arrows step.
    await page.keyboard.press("Home")
    await page.wait_for_function("() => window.pairbookReplay.seq <= 1")
    await expect(side.locator(".moment-chat")).to_have_text("No chat yet at this moment.")
    await expect(side.locator(".moment-driver")).to_contain_text("Pair mode")
    # Playing from there brings the chat back, message by message, to the end.
    await page.keyboard.press("Space")
    await page.wait_for_function(
        "last => window.pairbookReplay.seq === last", arg=timeline["last_seq"]
    )
    await expect(side.locator(".moment-chat-text")).to_have_count(3)
    await expect(page.get_by_role("button", name="Play")).to_be_visible()
    await page.keyboard.press("ArrowLeft")
    await page.wait_for_function(
        "last => window.pairbookReplay.seq === last - 1", arg=timeline["last_seq"]
    )
    await page.keyboard.press("ArrowRight")
    await page.wait_for_function(
        "last => window.pairbookReplay.seq === last", arg=timeline["last_seq"]
    )
    # A click on Ana's chat mark shows that moment: one message, and Ana was driving then.
    ana_id = next(i for i, p in timeline["people"].items() if p["name"] == owner)
    await page.locator(f".lane[data-lane='{ana_id}'] .mark-chat").click()
    await expect(side.locator(".moment-chat-text")).to_have_text(["Grace, you drive next"])
    await expect(side.locator(".moment-driver")).to_have_text(f"Driving: {owner}")
    await expect(side.locator(".moment-chat-time")).to_have_text(["at this moment"])
    # A click on the handover's mark shows the moment it happened: Grace drives, one message.
    await lane.locator(".mark-role").last.click()
    await expect(side.locator(".moment-driver")).to_have_text("Driving: Grace Hopper")
    await expect(side.locator(".moment-chat-text")).to_have_text(["Grace, you drive next"])

    await page.set_viewport_size({"width": 1920, "height": 1000})
    await page.keyboard.press("End")
    await page.wait_for_function(
        "last => window.pairbookReplay.seq === last", arg=timeline["last_seq"]
    )
    await ana.screenshot(screenshots / "replay-mob-1920.png")

    # The room goes on while the replay is open: End brings the replay up to it.
    await grace.edit_end(4)
    await grace.page.keyboard.type("  # later", delay=20)
    await vi.wait_source(4, "s => s.endsWith('# later')")  # relayed, so logged
    await page.keyboard.press("End")
    await page.wait_for_function(
        "() => window.pairbookReplay.notebook.cells[4].getSource().endsWith('# later')"
    )
    assert await replay_seq(ana) > timeline["last_seq"]
    await expect(page.locator(".replay-where")).to_contain_text(
        f"moment {await replay_seq(ana)} of {await replay_seq(ana)}"
    )
    for tab in (ana, grace, vi):
        assert tab.errors == []
        await tab.close()


LONG_NAMES = [
    "Maria Alejandra Fernández-Castillo de la Vega",
    "Bartholomew Montgomery-Featherstonehaugh",
    "Srinivasa Aiyangar Ramanujan Iyengar",
    "Katherine Coleman Goble Johnson",
]
"""Names wider than any label column; the others are short."""

LEGEND = """grid => {
    const box = grid.getBoundingClientRect()
    return [...grid.querySelectorAll('.lane-label[data-lane]')].map(label => {
        const lane = grid.querySelector(`.lane[data-lane="${label.dataset.lane}"]`)
        const name = label.querySelector('.lane-name')
        const style = name === null ? null : getComputedStyle(name)
        return {
            title: label.title,
            lane: lane === null ? null : lane.title,
            fits: name !== null && name.scrollWidth <= name.clientWidth,
            ellipsis: style !== null && style.textOverflow === 'ellipsis'
                && style.overflow === 'hidden',
        }
    })
}"""


async def test_the_replay_legend_shows_every_person_and_whole_names_on_hover(
    browser: Browser, server: ServerProcess, screenshots: Path
) -> None:
    name = "replay-many-people.ipynb"
    write_notebook(server.root / name, ["x = 1", "y = 2"])
    people = [*LONG_NAMES, *(f"Lane {i}" for i in range(10))]
    for person in people:
        token, _ = server.join("editor", person)
        async with YClient(server.ws_url(name, token)) as client:

            def has_three_cells(c: YClient = client) -> bool:
                return len(c.cells) == 3

            def shows_hi(c: YClient = client) -> bool:
                return c.source(1).startswith("# hi\n")

            await client.wait_until(has_three_cells)
            client.type_into(1, 0, "# hi\n")
            await client.wait_until(shows_hi)
    tab = await NotebookTab.open(browser, server, name)
    await open_replay(tab, f"{server.base}/replay/{quote(name)}?token={quote(OWNER_TOKEN)}")
    page = tab.page
    labels = page.locator(".lane-label[data-lane]")
    await expect(labels.filter(has_text="Lane 9")).to_have_count(1)
    grid = page.locator(".timeline-grid")
    legend = await grid.evaluate(LEGEND)
    by_title = {entry["title"]: entry for entry in legend}
    for person in people:
        entry = by_title[person]
        # The whole name on hover, over the label and over the person's lane.
        assert entry["lane"] == person, entry
        # A name either fits its label or ends in an ellipsis, never just cut.
        assert entry["fits"] or entry["ellipsis"], entry
    assert by_title["Lane 0"]["fits"]
    # Fourteen people: the lanes scroll inside the timeline, which keeps its height, and
    # the last person's lane can be brought into view there, the time axis still under it.
    sizes = await grid.evaluate("g => ({ client: g.clientHeight, scroll: g.scrollHeight })")
    assert sizes["scroll"] > sizes["client"], sizes
    assert sizes["client"] <= 9 * 18 + 2, sizes
    last = labels.last
    await last.scroll_into_view_if_needed()
    await expect(last).to_be_in_viewport(ratio=1)
    assert await last.evaluate(
        "l => { const r = l.getBoundingClientRect();"
        " return l.contains(document.elementFromPoint(r.x + 4, r.y + r.height / 2)) }"
    )
    await expect(page.locator(".timeline-axis")).to_be_in_viewport()
    await tab.screenshot(screenshots / "replay-many-people.png")
    # A narrow window: the playback bar wraps, Export and Restore stay reachable.
    await page.set_viewport_size({"width": 1000, "height": 860})
    await expect(page.get_by_role("button", name="Export", exact=True)).to_be_in_viewport(ratio=1)
    await tab.screenshot(screenshots / "replay-many-people-1000.png")
    assert tab.errors == []
    await tab.close()


async def test_a_session_a_second_long_has_times_on_its_axis(
    browser: Browser, server: ServerProcess
) -> None:
    name = "replay-one-second.ipynb"
    write_notebook(server.root / name, ["x = 1"])
    async with YClient(server.ws_url(name)) as client:
        await client.wait_until(lambda: len(client.cells) == 2)
        client.type_into(1, 0, "# a\n")
        await client.wait_until(lambda: client.source(1).startswith("# a\n"))
        await asyncio.sleep(1.0)  # how long the session is, not a wait for something
        client.type_into(1, 0, "# b\n")
        await client.wait_until(lambda: client.source(1).startswith("# b\n"))
    # Straight to the replay page: opening the notebook would make the session longer.
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto(f"{server.base}/replay/{quote(name)}?token={quote(OWNER_TOKEN)}")
    await page.wait_for_function("() => window.pairbookReplay?.ready === true")
    span = await page.evaluate(
        "() => { const t = window.pairbookReplay.timeline; return t.end_ts - t.start_ts }"
    )
    labels = await page.locator(".axis-tick").all_text_contents()
    # Under two seconds: whole seconds alone gave at most one or two ticks, or none.
    assert len(labels) >= 3, (span, labels)
    assert len(set(labels)) == len(labels), labels
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d\.\d", label) for label in labels), labels
    await context.close()
