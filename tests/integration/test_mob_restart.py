"""The owner's session summary across a real server restart: the `mob` map the restarted
server reads names people without their emails, yet the owner's summary still credits each
person by the email their profile holds."""

from __future__ import annotations

from typing import Any

import pytest

from support.client import YClient
from support.server import ServerProcess

pytestmark = pytest.mark.integration


async def ok(client: YClient, command: str, **args: Any) -> dict[str, Any]:
    reply = await client.command(command, **args)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


async def test_after_a_restart_the_owners_summary_credits_people_by_their_emails(
    server: ServerProcess,
) -> None:
    bo_token, bo_id = server.join("editor", "Bo", "bo@example.org")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
    ):
        await ok(ana, "mob-mode", mode="mob")
        await ok(ana, "mob-handover")
        await bo.wait_until(lambda: bo.map("mob").get("driver") == bo_id, timeout=20)
        await bo.set_source(1, "x = 2")
        await ana.wait_until(lambda: bo_id in (ana.map("mob").get("changed") or {}), timeout=20)
        before = await ok(ana, "mob-summary")
    assert "Co-authored-by: Bo <bo@example.org>" in before["message"]

    assert server.stop() == 0
    server.start()
    # Bo does not come back: the owner alone asks for the summary.
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        after = await ok(ana, "mob-summary")
        assert "bo@example.org" not in str(ana.map("mob"))  # the map still has no emails
    people = {p["id"]: p for p in after["people"]}
    assert people[bo_id]["email"] == "bo@example.org"
    assert people[bo_id]["changed"] == ["code-0"]
    assert "Co-authored-by: Bo <bo@example.org>" in after["message"]
    assert f"<{bo_id}@users.pairbook.invalid>" not in after["message"]
