"""Room integrity (issue #12, "Data loss"): nothing a peer sends, and no failing store write,
leaves a room's document and its log apart; two names of one file are one room."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Text

from pairbook.protocol.messages import encode_command, encode_sync_update
from pairbook.protocol.update import decode_state_vector
from pairbook.store import SQLiteStore
from support.client import RawPeer, YClient
from support.notebooks import write_notebook
from support.server import ServerProcess
from support.updates import half_appliable_update, legacy_json_update
from unit.protocol.npm import run_make_fixtures

pytestmark = pytest.mark.security

ROOM = "demo.ipynb"


# -- frames ------------------------------------------------------------------------------


def xml_hook_update() -> bytes:
    """An XmlHook followed by an element, encoded by stock yjs (pycrdt misreads it)."""
    fixtures = run_make_fixtures()
    (case,) = [u for u in fixtures["updates"] if u["name"] == "xml hook followed by an element"]
    return bytes.fromhex(case["update"])


UNREADABLE: dict[str, Callable[[], bytes]] = {
    "legacy ContentJSON": legacy_json_update,
    "xml hook followed by an element": xml_hook_update,
}


# -- helpers -----------------------------------------------------------------------------


def log_lines(server: ServerProcess) -> list[dict[str, Any]]:
    lines = []
    for line in server.log().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def metric(server: ServerProcess, name: str) -> float:
    status, text = server.get("/metrics")
    assert status == 200
    assert isinstance(text, str)
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def view(client: YClient) -> dict[str, Any]:
    """What a client holds of the room: every cell's source and the scratch text."""
    return {
        "sources": client.sources(),
        "scratch": str(client.doc.get("scratch", type=Text)),
        "recording": client.map("recording"),
    }


async def edit_and_confirm(url: str, client: YClient, text: str) -> None:
    """Type into the second cell and wait until another peer has it (so it is logged: a
    joiner is sent the room's state once the log has all of it)."""
    client.type_into(1, 0, text)
    async with YClient(url) as other:
        await other.wait_until(lambda: other.source(1).startswith(text))


# -- an update pycrdt cannot apply ----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(UNREADABLE))
async def test_an_update_pycrdt_cannot_read_is_refused_never_logged_and_the_room_reloads(
    server: ServerProcess, workdir: Path, store_path: str, name: str
) -> None:
    url = server.ws_url(ROOM)
    async with YClient(url) as ana:
        async with RawPeer(url) as rogue:
            await rogue.send(encode_sync_update(UNREADABLE[name]()))
            code, reason = await rogue.closed_with()
        assert code in (1002, 1003), (code, reason)
        assert "cannot apply" in reason
        refused = [
            line
            for line in log_lines(server)
            if line["msg"] == "refused frame" and line.get("error") == "ProtocolError"
        ]
        assert refused
        assert refused[-1]["room"] == ROOM
        assert metric(server, "pairbook_unappliable_updates_total") == 1
        await edit_and_confirm(url, ana, "still served ")
    server.stop()
    with ServerProcess(workdir, store=store_path, port=server.port) as again:
        async with YClient(again.ws_url(ROOM)) as bo:
            assert bo.source(1).startswith("still served ")


async def test_an_update_pycrdt_applies_only_in_part_keeps_document_and_log_in_step(
    server: ServerProcess, workdir: Path, store_path: str
) -> None:
    url = server.ws_url(ROOM)
    async with YClient(url) as ana:
        async with RawPeer(url) as rogue:
            await rogue.send(encode_sync_update(half_appliable_update()))
            code, reason = await rogue.closed_with()
        assert code in (1002, 1003), (code, reason)
        # What the document took before failing reached the others, as any edit does.
        await ana.wait_until(lambda: str(ana.doc.get("scratch", type=Text)) == "ab")
        async with YClient(url) as before_restart:
            seen = view(before_restart)
    assert seen["scratch"] == "ab"
    server.stop()
    with ServerProcess(workdir, store=store_path, port=server.port) as again:
        async with YClient(again.ws_url(ROOM)) as after_restart:
            assert view(after_restart) == seen


async def test_a_log_that_already_holds_an_unappliable_record_still_loads(
    workdir: Path, store_path: str
) -> None:
    with ServerProcess(workdir, store=store_path) as server:
        url = server.ws_url(ROOM)
        async with YClient(url) as ana:
            await edit_and_confirm(url, ana, "kept ")
    # Written by an older pairbook, which logged before applying.
    async with SQLiteStore(store_path) as store:
        await store.append(ROOM, legacy_json_update(), "mallory", [7])
        await store.append(ROOM, half_appliable_update(), "mallory", [4242])
    with ServerProcess(workdir, store=store_path) as server:
        url = server.ws_url(ROOM)
        async with YClient(url) as bo:
            assert bo.source(1).startswith("kept ")
            await edit_and_confirm(url, bo, "and more ")
        skipped = [line for line in log_lines(server) if line["msg"].startswith("log record skip")]
        assert [(line["room"], line["user"]) for line in skipped] == [(ROOM, "mallory")] * 2
        assert metric(server, "pairbook_skipped_records_total") == 2


# -- a store write that fails after the document changed ------------------------------------


FAIL_SERVER_WRITES = """CREATE TRIGGER fail_server_writes BEFORE INSERT ON records
    WHEN NEW.user_id LIKE 'pairbook:%'
    BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END"""


async def test_a_server_edit_the_store_refuses_never_leaves_document_and_log_apart(
    server: ServerProcess, workdir: Path, store_path: str
) -> None:
    url = server.ws_url(ROOM)
    async with YClient(url) as ana:
        await edit_and_confirm(url, ana, "saved ")
        with sqlite3.connect(store_path) as db:  # the real store's file, made to fail
            db.execute(FAIL_SERVER_WRITES)
        assert ana.ws is not None
        # A server edit (the recording switch) whose log write fails.
        await ana.ws.send(encode_command({"id": 1, "command": "recording", "on": False}))
        async with asyncio.timeout(10):
            await ana.ws.wait_closed()
        assert ana.ws.close_code == 1011
    with sqlite3.connect(store_path) as db:
        db.execute("DROP TRIGGER fail_server_writes")
    async with YClient(url) as before_restart:
        seen = view(before_restart)
    assert seen["sources"][1].startswith("saved ")
    server.stop()
    with ServerProcess(workdir, store=store_path, port=server.port) as again:
        async with YClient(again.ws_url(ROOM)) as after_restart:
            assert view(after_restart) == seen


# -- the server's own client id ---------------------------------------------------------


async def test_no_one_can_write_under_the_servers_client_id(server: ServerProcess) -> None:
    editor = server.join("editor", "Eve")[0]
    url = server.ws_url(ROOM, editor)
    async with YClient(url) as eve:
        before = decode_state_vector(eve.doc.get_state())
        reply = await eve.command("recording", on=False)  # the room's first server edit
        assert reply["ok"], reply
        await eve.wait_until(lambda: decode_state_vector(eve.doc.get_state()) != before)
        after = decode_state_vector(eve.doc.get_state())
        (server_id,) = [c for c, clock in after.items() if clock > before.get(c, 0)]
        # A document that writes as the server, holding the room's state.
        forged: Doc[Any] = Doc(client_id=server_id)
        forged.apply_update(eve.doc.get_update())
        state = forged.get_state()
        forged.get("cells", type=Array)[1]["source"].insert(0, "as the server ")
        async with RawPeer(url) as mallory:
            await mallory.send(encode_sync_update(forged.get_update(state)))
            code, reason = await mallory.closed_with()
        assert code == 4403, (code, reason)
        assert "server" in reason
    async with YClient(server.ws_url(ROOM)) as owner:
        assert not owner.source(1).startswith("as the server")


# -- two names of one file ----------------------------------------------------------------


async def test_a_symlink_and_its_target_are_one_room(workdir: Path, store_path: str) -> None:
    (workdir / "alias.ipynb").symlink_to("demo.ipynb")
    with ServerProcess(workdir, store=store_path) as server:
        async with YClient(server.ws_url(ROOM)) as ana, YClient(server.ws_url("alias.ipynb")) as bo:
            ana.type_into(1, 0, "from ana ")
            await bo.wait_until(lambda: bo.source(1).startswith("from ana "))
            bo.type_into(2, 0, "from bo ")
            await ana.wait_until(lambda: ana.source(2).startswith("from bo "))
            reply = await bo.command("whoami")
            assert reply["result"]["room"] == ROOM
    notebook = json.loads((workdir / "demo.ipynb").read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert sources[1].startswith("from ana ")
    assert sources[2].startswith("from bo ")


async def test_a_symlink_out_of_the_served_folder_is_refused(
    server: ServerProcess, workdir: Path
) -> None:
    outside = write_notebook(workdir.parent / "outside" / "secret.ipynb")
    (workdir / "out.ipynb").symlink_to(outside)
    async with RawPeer(server.ws_url("out.ipynb")) as peer:
        code, reason = await peer.closed_with()
    assert code == 4404, (code, reason)
    assert "outside" in reason
