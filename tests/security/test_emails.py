"""Emails are personal data: the owner needs them (co-authored commits), nobody else does.
Against a real server, every channel a viewer or an editor reads — the shared document and
its log, the commands, presence, the HTTP routes of the replay and the review — names
people without their emails, even where a log from before 6461f2c holds them; the owner's
session summary and replay still have them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from support.client import YClient
from support.oldlog import log_an_old_mob_map, people_in
from support.server import OWNER_TOKEN as OWNER
from support.server import ServerProcess

pytestmark = pytest.mark.security

DOMAIN = "example.org"
NB = "demo.ipynb"


async def ok(client: YClient, command: str, **args: Any) -> dict[str, Any]:
    reply = await client.command(command, **args)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


def logged_updates(server: ServerProcess, token: str) -> bytes:
    """Every update of the room's log as the replay serves it to this person."""
    status, chunk = server.request("GET", "/api/replay/demo.ipynb/chunk?after=0", token=token)
    assert status == 200, chunk
    assert isinstance(chunk, dict)
    return b"".join(base64.b64decode(step["update"]) for step in chunk["steps"])


async def test_only_the_owner_sees_peoples_emails(server: ServerProcess) -> None:
    bo_token, bo_id = server.join("editor", "Bo", f"bo@{DOMAIN}")
    vi_token, _ = server.join("viewer", "Vi", f"vi@{DOMAIN}")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
        YClient(server.ws_url("demo.ipynb", vi_token)) as vi,
    ):
        await ok(ana, "mob-mode", mode="mob")
        await ok(ana, "mob-handover")
        await bo.wait_until(lambda: bo.map("mob").get("driver") == bo_id, timeout=20)
        await ok(bo, "mob-chat", text="hello")
        await vi.wait_until(lambda: len(vi.map("mob").get("chat") or []) == 1)
        assert {"Bo", "Vi"} <= {p["name"] for p in vi.map("mob")["people"].values()}

        # The document every peer holds, viewers included, and the log keeps.
        for client in (ana, bo, vi):
            for name in ("mob", "kernel", "executions"):
                assert DOMAIN not in json.dumps(client.map(name)), name
        # Commands a viewer or an editor may send.
        for client in (bo, vi):
            for command in ("mob-summary", "presence"):
                assert DOMAIN not in json.dumps(await ok(client, command)), command
        summary = await ok(bo, "mob-summary")
        assert "Co-authored-by" not in summary["message"]
        assert "the owner's summary" in summary["message"]
        # The owner's summary credits Bo with his address, for the commit.
        owners = await ok(ana, "mob-summary")
        assert f"Co-authored-by: Bo <bo@{DOMAIN}>" in owners["message"]
        assert {p["id"]: p.get("email") for p in owners["people"]}[bo_id] == f"bo@{DOMAIN}"

    # The HTTP routes a viewer may read: the replay (its log too) and the review.
    for route in (
        "/api/replay",
        "/api/replay/demo.ipynb/timeline",
        "/api/replay/demo.ipynb/moment",
        "/api/replay/demo.ipynb/export",
        "/api/review/demo.ipynb",
        "/api/notebooks",
    ):
        status, body = server.request("GET", route, token=vi_token)
        assert status == 200, (route, body)
        assert f"bo@{DOMAIN}" not in json.dumps(body), route
    assert DOMAIN.encode() not in logged_updates(server, vi_token)
    status, me = server.request("GET", "/api/me", token=vi_token)
    assert status == 200
    assert f"bo@{DOMAIN}" not in json.dumps(me)


def replayed(server: ServerProcess, token: str, what: str) -> Any:
    status, body = server.request("GET", f"/api/replay/{NB}/{what}", token=token)
    assert status == 200, (what, body)
    return body


def people_at(moment: dict[str, Any]) -> dict[str, Any]:
    return people_in(base64.b64decode(moment["update"]))


async def test_a_replay_of_an_old_log_hands_out_emails_to_the_owner_only(
    server: ServerProcess, store_path: str
) -> None:
    bo_token, bo_id = server.join("editor", "Bo", f"bo@{DOMAIN}")
    vi_token, vi_id = server.join("viewer", "Vi", f"vi@{DOMAIN}")
    async with YClient(server.ws_url(NB)) as ana:
        await ok(ana, "mob-mode", mode="mob")
    assert server.stop() == 0
    old = {
        uid: {"id": uid, "name": name, "color": "#336699", "email": f"{name.lower()}@{DOMAIN}"}
        for uid, name in ((bo_id, "Bo"), (vi_id, "Vi"))
    }
    seq = await log_an_old_mob_map(store_path, NB, old)
    server.start()

    named = {uid: {k: v for k, v in person.items() if k != "email"} for uid, person in old.items()}
    for token in (bo_token, vi_token):  # an editor and a viewer watch the replay
        moment = replayed(server, token, f"moment?seq={seq}")
        assert people_at(moment) == named  # the people, by name, without their emails
        chunk = replayed(server, token, "chunk?after=0&limit=2000")
        assert seq in [step["seq"] for step in chunk["steps"]]
        steps = b"".join(base64.b64decode(step["update"]) for step in chunk["steps"])
        assert DOMAIN.encode() not in steps
        status, export = server.request("GET", f"/api/replay/{NB}/export", token=token)
        assert status == 200
        assert DOMAIN not in str(export)
        assert DOMAIN not in json.dumps(replayed(server, token, "timeline"))
    # The owner is entitled to them: the owner's replay is the log as it is.
    assert people_at(replayed(server, OWNER, f"moment?seq={seq}")) == old
