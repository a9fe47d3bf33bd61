"""Mob programming in three browsers: the driver types, navigators cannot, the turn passes."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from pairbook.mob.service import IN_FLIGHT_SECONDS
from support.browser import NotebookTab, invite
from support.client import YClient
from support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

ROTATION = 30_000
"""Milliseconds to wait for a scheduled handover (the turn is 6 s; the machine may be busy)."""


async def test_the_driver_types_navigators_cannot_and_rotation_passes_the_keyboard(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    ana = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(
        browser,
        server,
        notebook,
        token=invite(server, "editor"),
        join_as="Bob",
        email="bob@example.org",
    )
    cy = await NotebookTab.open(
        browser, server, notebook, token=invite(server, "editor"), join_as="Cy"
    )
    owner = await ana.page.evaluate("() => window.pairbook.awareness.getLocalState().user.name")

    # The owner switches the room to mob mode, with turns long enough for the checks of her
    # turn (a turn of 0.1 min ended halfway through them on a loaded machine: CI-like run).
    panel = ana.page.locator(".mob-panel")
    await panel.get_by_text("Rotation settings").click()
    await panel.get_by_label("Turn length in minutes").fill("10")
    await panel.get_by_role("button", name="Save the rotation settings").click()
    await panel.get_by_role("button", name="Mob mode: one driver types").click()
    await expect(panel.locator(".mob-you")).to_have_text("You are driving")
    for tab in (bob, cy):
        await expect(tab.page.locator(".mob-you")).to_have_text(
            f"You are navigating: {owner} drives"
        )
    await expect(bob.page.locator(".mob-queue li")).to_have_count(2)
    # Roles show next to each participant, for everyone.
    await expect(cy.page.locator(".people .person", has_text=owner)).to_contain_text("driver")
    await expect(cy.page.locator(".people .person", has_text="Bob")).to_contain_text("navigator")

    # The driver types; everyone sees it.
    await ana.edit_end(1)
    await ana.page.keyboard.type("\nz = 'driven by the owner'")
    await bob.wait_source(1, "s => s.endsWith(\"z = 'driven by the owner'\")")

    # A navigator's editor is read-only: typing changes nothing, not even locally.
    await expect(bob.editor(1)).to_have_attribute("aria-readonly", "true")
    await bob.editor(1).click()
    await bob.page.keyboard.type("sneaky")
    assert "sneaky" not in await bob.source(1)
    await ana.page.keyboard.type("!")
    await bob.wait_source(1, "s => s.endsWith('!')")
    await expect(bob.page.locator("[data-banner=denied]")).to_have_count(0)
    await expect(bob.page.get_by_role("button", name="Run all cells")).to_be_hidden()

    # A client that writes anyway (around the read-only editor) is refused by the server.
    await cy.page.evaluate("() => window.pairbook.notebook.cells[2].setSource('forced')")
    await expect(cy.page.locator("[data-banner=denied]")).to_contain_text(
        f"only the driver ({owner})"
    )
    assert await ana.source(2) == "y = x + 1\ny"

    # The owner shortens the turn to 0.1 min (it keeps its start, so it is over): at the end
    # of the turn the keyboard passes to the next person, Bob.
    await panel.get_by_label("Turn length in minutes").fill("0.1")
    await panel.get_by_role("button", name="Save the rotation settings").click()
    await expect(bob.page.locator(".mob-you")).to_have_text("You are driving", timeout=ROTATION)
    await expect(bob.page.locator(".mob-panel")).to_have_attribute("data-cue", "you-drive")
    await expect(bob.page.locator(".people .person.self")).to_contain_text("driver")
    await expect(ana.page.locator(".mob-you")).to_have_text("You are navigating: Bob drives")
    # The owner lengthens the turn so that Bob has time to type.
    await panel.get_by_label("Turn length in minutes").fill("10")
    await panel.get_by_role("button", name="Save the rotation settings").click()
    await expect(bob.page.locator(".mob-timer-text")).to_have_text(re.compile(r"^(9|10):\d\d left"))

    # Now Bob can type, and the owner cannot.
    await expect(bob.editor(2)).to_have_attribute("aria-readonly", "false")
    await bob.edit_end(2)
    await bob.page.keyboard.type("\nprint('Bob at the keyboard')")
    await ana.wait_source(2, "s => s.endsWith(\"print('Bob at the keyboard')\")")
    await expect(ana.editor(1)).to_have_attribute("aria-readonly", "true")

    # Ana points at a line and chats; Bob sees both.
    await ana.cell(2).click()
    await ana.page.locator(".mob-panel").get_by_role("button", name="Point here").click()
    await expect(bob.cell(2).locator(".mob-pointer")).to_contain_text(f"{owner} points here")
    await expect(bob.cell(2).locator(".cm-pointed-line").first).to_be_visible()
    await ana.page.get_by_role("textbox", name="Chat message").fill("Shall we test the print?")
    await ana.page.get_by_role("textbox", name="Chat message").press("Enter")
    await expect(bob.page.locator(".mob-chat-message")).to_contain_text("Shall we test the print?")

    # The session summary credits both typists, Bob with the email he joined with.
    await ana.page.get_by_role("button", name="Session summary").click()
    message = ana.page.locator(".mob-commit-message")
    await expect(message).to_contain_text("Co-authored-by: Bob <bob@example.org>")
    await expect(message).to_contain_text(f"Co-authored-by: {owner} <owner@users.pairbook.invalid>")
    await expect(message).not_to_contain_text("Cy")
    await ana.page.get_by_role("button", name="Close the summary").click()

    await bob.page.locator(".mob-chat-message").first.wait_for()
    await bob.screenshot(screenshots / "mob-page.png")
    await expect(bob.page.locator(".mob-panel")).to_be_visible()
    await bob.page.locator(".mob-panel").screenshot(path=str(screenshots / "mob.png"))
    for tab in (ana, bob, cy):
        assert tab.errors == []
        await tab.close()


async def test_a_navigator_hears_why_once_and_keys_typed_past_a_turn_are_counted_and_offered(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    ana = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(browser, server, notebook, token=invite(server, "editor"),
                                 join_as="Bob")  # fmt: skip
    vic = await NotebookTab.open(browser, server, notebook, token=invite(server, "viewer"),
                                 join_as="Vic")  # fmt: skip
    owner = await ana.page.evaluate("() => window.pairbook.awareness.getLocalState().user.name")
    panel = ana.page.locator(".mob-panel")
    await panel.get_by_text("Rotation settings").click()
    await panel.get_by_label("Turn length in minutes").fill("10")
    await panel.get_by_role("button", name="Save the rotation settings").click()
    await panel.get_by_role("button", name="Mob mode: one driver types").click()
    await expect(bob.page.locator(".mob-you")).to_have_text(f"You are navigating: {owner} drives")
    # The mob badge and the mode label still fit in the toolbar at 1280 px.
    for tab in (ana, bob, vic):
        await tab.page.set_viewport_size({"width": 1280, "height": 800})
        await expect(tab.page.locator(".mob-badge")).to_be_visible()
        assert await tab.toolbar_overflow() == {"overflow": 0, "out": []}
    await ana.screenshot(screenshots / "mob-driver-1280.png")

    # Bob types into a read-only editor and presses Ctrl+Enter: one note says why, in the cell.
    await bob.editor(1).click()
    await expect(bob.page.locator(".mode-label")).to_have_text("Read-only: not your turn")
    await bob.page.keyboard.type("sneaky")
    note = bob.page.locator(".lock-note")
    await expect(note).to_have_count(1)
    await expect(bob.cell(1).locator(".lock-note")).to_contain_text(
        re.compile(
            rf"^You are navigating: {owner} drives\. Ask for the keyboard or wait for your "
            r"turn in \d+:\d\d\. \(6 keys not typed\)"
        )
    )
    await bob.page.keyboard.type("more")
    await bob.page.keyboard.press("Control+Enter")
    await expect(note).to_contain_text("(10 keys not typed)")
    await expect(note).to_have_count(1)
    await expect(bob.page.locator(".toast")).to_have_count(0)
    assert "sneaky" not in await bob.source(1)
    await bob.cell(1).screenshot(path=str(screenshots / "mob-navigator-note.png"))

    # Turns of 12 s: Bob drives next and types on past the end of his turn.
    await panel.get_by_label("Turn length in minutes").fill("0.2")
    await panel.get_by_role("button", name="Save the rotation settings").click()
    await expect(bob.page.locator(".mob-you")).to_have_text("You are driving", timeout=ROTATION)
    await expect(note).to_be_hidden()
    await bob.edit_end(2)
    await expect(bob.page.locator(".mode-label")).to_have_text("Edit mode")
    typed = 0
    while await bob.page.locator(".mob-you").text_content() == "You are driving":
        await bob.page.keyboard.type("a")
        typed += 1
        assert typed < 2000, "the turn never ended"
    await bob.page.keyboard.type("ABCDEFGHIJKLMNOPQRSTUVW")
    source = await bob.source(2)
    await ana.wait_source(2, "(s, a) => s === a", source)
    applied = source.count("a")
    assert 0 < applied <= typed
    lost = typed - applied + 23
    await expect(bob.cell(2).locator(".lock-note")).to_have_text(
        re.compile(
            rf"^{lost} keystrokes typed after your turn ended were not applied \({owner} drives "
            r"now\)\."
        )
    )
    await expect(bob.page.locator("[data-banner=denied]")).to_have_count(0)
    await bob.cell(2).screenshot(path=str(screenshots / "mob-held-keys.png"))
    # Offered to the new driver in the chat.
    await bob.page.get_by_role("button", name="Offer to").click()
    message = ana.page.locator(".mob-chat-message", has_text="Typed after my turn ended")
    await expect(message).to_contain_text("ABCDEFGHIJKLMNOPQRSTUVW")
    await expect(note).to_be_hidden()
    shots = Path("/work/notes/shots")
    if shots.parent.exists():
        shots.mkdir(exist_ok=True)
        for name in ("mob-navigator-note.png", "mob-held-keys.png", "mob-driver-1280.png"):
            (shots / f"page-{name}").write_bytes((screenshots / name).read_bytes())
    for tab in (ana, bob, vic):
        assert tab.errors == []
        await tab.close()


async def test_typing_that_reaches_the_server_after_a_handover_is_counted_and_offered(
    browser: Browser, server: ServerProcess, notebook: str, screenshots: Path
) -> None:
    """The driver's page is offline when the owner hands the keyboard on: what she typed
    meanwhile reaches the server too late and is refused. She is told how much was not
    applied and can offer it to the new driver, who never gets it in the notebook."""
    ana = await NotebookTab.open(browser, server, notebook)
    bob = await NotebookTab.open(browser, server, notebook, token=invite(server, "editor"),
                                 join_as="Bob")  # fmt: skip
    vic = await NotebookTab.open(browser, server, notebook, token=invite(server, "viewer"),
                                 join_as="Vic")  # fmt: skip
    owner = await ana.page.evaluate("() => window.pairbook.awareness.getLocalState().user.name")
    panel = ana.page.locator(".mob-panel")
    await panel.get_by_text("Rotation settings").click()
    await panel.get_by_label("Turn length in minutes").fill("10")
    await panel.get_by_role("button", name="Save the rotation settings").click()
    await panel.get_by_role("button", name="Mob mode: one driver types").click()
    await expect(bob.page.locator(".mob-you")).to_have_text(f"You are navigating: {owner} drives")
    await ana.edit_end(2)
    await ana.context.set_offline(True)
    await ana.page.keyboard.type("\nlate words")
    # Meanwhile the owner (from another device) hands the keyboard on to Bob.
    async with YClient(server.ws_url(notebook)) as device:
        assert (await device.command("mob-handover"))["ok"]
    await expect(bob.page.locator(".mob-you")).to_have_text("You are driving")
    # Past the server's in-flight allowance: her edits arrive late, whatever the machine.
    await asyncio.sleep(IN_FLIGHT_SECONDS + 0.5)
    await ana.context.set_offline(False)
    note = ana.cell(2).locator(".lock-note")
    # The page reconnects with a capped backoff: seconds on a busy machine.
    await expect(note.locator(".lock-note-text")).to_have_text(
        "11 keystrokes typed after your turn ended were not applied (Bob drives now).",
        timeout=ROTATION,
    )
    await expect(ana.page.locator("[data-banner=denied]")).to_contain_text("mob mode")
    await ana.cell(2).screenshot(path=str(screenshots / "mob-refused-keys.png"))
    assert "late words" not in await bob.source(2)
    await ana.page.get_by_role("button", name="Offer to").click()
    message = bob.page.locator(".mob-chat-message", has_text="Typed after my turn ended")
    await expect(message).to_contain_text("late words")
    await expect(note).to_be_hidden()
    assert "late words" not in await vic.source(2)
    for tab in (ana, bob, vic):
        assert tab.errors == []
        await tab.close()


async def test_a_navigator_still_sees_the_recording_and_can_open_replay_blame_and_review(
    browser: Browser, server: ServerProcess, notebook: str
) -> None:
    ana, bob = await NotebookTab.pair(browser, server, notebook)
    await (
        ana.page.locator(".mob-panel")
        .get_by_role("button", name="Mob mode: one driver types")
        .click()
    )
    await expect(bob.page.locator(".mob-you")).to_contain_text("You are navigating")
    # The editing tools go (the navigator does not type) ...
    await expect(bob.page.get_by_role("button", name="Run all cells")).to_be_hidden()
    # ... but the room is still recorded, and reading the record is not editing: the header
    # says so, and Blame, Replay and Review stay within reach (as the docs promise).
    badge = bob.page.locator(".toolbar .recording-badge")
    await expect(badge).to_be_visible()
    await expect(badge).to_have_text("● Recording")
    await (await bob.tool("Blame")).click()
    await expect(bob.cell(1).locator(".blame-gutter")).to_be_visible()
    for name in ("Replay", "Review"):
        link = (
            bob.page.locator(".toolbar")
            .get_by_role("link", name=name)
            .or_(bob.page.locator(".tool-more-menu").get_by_role("menuitem", name=name))
        )
        if not await link.is_visible():
            await bob.page.locator(".toolbar").get_by_role("button", name="More actions").click()
        await expect(link).to_be_visible()
        await bob.page.keyboard.press("Escape")
    for tab in (ana, bob):
        assert tab.errors == []
        await tab.close()
