"""The HTTP side: health, notebooks, invites, joining, metrics — and the Granian option."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from support.client import YClient
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = pytest.mark.integration


def test_health_answers_without_a_token(server: ServerProcess) -> None:
    status, body = server.get("/api/health", token=None)
    assert status == 200
    assert body == {"status": "ok", "rooms": 0}


def test_the_notebook_list_needs_a_token_and_names_broken_files(
    server: ServerProcess, workdir: Path
) -> None:
    (workdir / "broken.ipynb").write_text("{not json")
    status, body = server.get("/api/notebooks", token=None)
    assert status == 401
    assert "token" in str(body)
    status, body = server.get("/api/notebooks")
    assert status == 200
    assert isinstance(body, dict)
    entries = {entry["path"]: entry for entry in body["notebooks"]}
    assert entries["demo.ipynb"]["cells"] == 3
    assert entries["demo.ipynb"]["url"] == "/rooms/demo.ipynb"
    assert "line 1" in entries["broken.ipynb"]["error"]


async def test_a_notebook_open_in_a_room_is_listed_with_its_cells_and_peers(
    server: ServerProcess,
) -> None:
    # The list page says "3 cells · 1 person here now": the cells of an open notebook are the
    # room's (its file trails it), not missing from the entry.
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.wait_until(lambda: len(ana.sources()) == 3)
        status, body = server.get("/api/notebooks")
    assert status == 200
    assert isinstance(body, dict)
    entries = {entry["path"]: entry for entry in body["notebooks"]}
    assert entries["demo.ipynb"]["peers"] == 1
    assert entries["demo.ipynb"]["cells"] == 3


def test_creating_a_notebook_writes_a_valid_file_once(server: ServerProcess, workdir: Path) -> None:
    status, body = server.request("POST", "/api/notebooks", {"path": "team/new"})
    assert status == 201
    assert body == {"path": "team/new.ipynb", "url": "/rooms/team/new.ipynb"}
    assert (workdir / "team" / "new.ipynb").exists()
    status, _ = server.request("POST", "/api/notebooks", {"path": "team/new.ipynb"})
    assert status == 409
    status, body = server.request("POST", "/api/notebooks", {"path": "../outside.ipynb"})
    assert status == 404
    assert not (workdir.parent / "outside.ipynb").exists()


def test_an_invite_becomes_a_personal_token_with_the_role_it_grants(
    server: ServerProcess,
) -> None:
    status, invite = server.request("POST", "/api/invites", {"role": "viewer"})
    assert status == 201
    assert isinstance(invite, dict)
    assert invite["url"].endswith(f"/?token={invite['token']}")
    status, me = server.get("/api/me", token=invite["token"])
    assert me == {"role": "viewer", "user": None, "invite": True}
    status, joined = server.request(
        "POST", "/api/join", {"invite": invite["token"], "name": "  Ada\x07 "}
    )
    assert status == 201
    assert isinstance(joined, dict)
    status, me = server.get("/api/me", token=joined["token"])
    assert isinstance(me, dict)
    assert me["role"] == "viewer"
    assert me["user"]["name"] == "Ada"
    status, body = server.request("POST", "/api/invites", {"role": "editor"}, token=joined["token"])
    assert status == 403
    assert "owner" in str(body)
    status, body = server.request("POST", "/api/notebooks", {"path": "x"}, token=joined["token"])
    assert status == 403


async def test_metrics_count_rooms_peers_and_updates(server: ServerProcess) -> None:
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb")) as bo,
    ):
        ana.type_into(1, 0, "#")
        await bo.wait_until(lambda: bo.source(1).startswith("#"))
        # The recorder writes joins and presence in the background: let the log settle.
        # pycrdt's provider also sends back every update it applies: Bo's echo of Ana's
        # keystroke is recognised without being decoded.
        for _ in range(50):
            status, text = server.get("/metrics", token=None)
            settled = "pairbook_store_pending 0.0" in str(text)
            if settled and "pairbook_echoed_updates_total 0.0" not in str(text):
                break
            await asyncio.sleep(0.1)
    assert status == 200
    metrics = str(text)
    for line in (
        "pairbook_rooms 1.0",
        "pairbook_peers 2.0",
        "pairbook_updates_total 1.0",
        "pairbook_relay_latency_seconds_count 1.0",
        "pairbook_store_commits_total",
        "pairbook_store_pending 0.0",
    ):
        assert line in metrics, line
    assert "pairbook_echoed_updates_total 0.0" not in metrics
    assert "pairbook_echoed_updates_total" in metrics


async def test_the_granian_server_option_serves_the_same_rooms(tmp_path: Path) -> None:
    root = tmp_path / "nb"
    write_notebook(root / "demo.ipynb")
    with ServerProcess(root, store=str(tmp_path / "s.sqlite"), server="granian") as server:
        url = server.ws_url("demo.ipynb")
        async with YClient(url) as ana, YClient(url) as bo:
            ana.type_into(1, 0, "gr ")
            await bo.wait_until(lambda: bo.source(1).startswith("gr "))


async def test_an_empty_room_is_unloaded_after_the_grace_period(tmp_path: Path) -> None:
    root = tmp_path / "nb"
    write_notebook(root / "demo.ipynb")
    args = ("--room-unload-delay", "0.2")
    with ServerProcess(root, store=str(tmp_path / "s.sqlite"), args=args) as server:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            client.type_into(1, 0, "#")
            assert server.get("/api/health")[1] == {"status": "ok", "rooms": 1}
        async with asyncio.timeout(10):
            while server.get("/api/health")[1] != {"status": "ok", "rooms": 0}:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # polling another process
        async with YClient(server.ws_url("demo.ipynb")) as client:
            assert client.source(1) == "#x = 1\nprint(x)"  # reloaded from the log


def test_the_owner_profile_comes_from_the_flags_and_is_kept(workdir: Path) -> None:
    flags = ("--owner-name", "Ada Lovelace", "--owner-email", "ada@example.org")
    with ServerProcess(workdir, args=flags) as server:
        status, me = server.request("GET", "/api/me")
        assert status == 200
        assert me["user"]["name"] == "Ada Lovelace"  # type: ignore[index]
        assert me["user"]["email"] == "ada@example.org"  # type: ignore[index]
    with ServerProcess(workdir) as server:  # no flags: the saved profile
        _, me = server.request("GET", "/api/me")
        assert me["user"]["name"] == "Ada Lovelace"  # type: ignore[index]
    saved = json.loads((workdir / ".pairbook" / "tokens.json").read_text())
    assert saved["owner"] == {"name": "Ada Lovelace", "email": "ada@example.org"}
