"""Recorded sessions: rebuild any moment, blame, restore, recording off, access, CLI export."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pycrdt import Array, Doc, Map, Text

from support.client import YClient
from support.pair import owner_and_bo
from support.server import PAIRBOOK, ServerProcess

pytestmark = pytest.mark.integration

NB = "demo.ipynb"


@pytest.fixture
def server(workdir: Path, store_path: str) -> Iterator[ServerProcess]:
    # Checkpoints every 5 records, so seeks below go through several of them.
    with ServerProcess(workdir, store=store_path, args=("--checkpoint-every", "5")) as running:
        yield running


def api(server: ServerProcess, what: str, token: str | None = None, **query: object) -> Any:
    path = f"/api/replay/{quote(NB)}/{what}"
    if query:
        path += "?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items())
    status, body = server.get(path) if token is None else server.get(path, token=token)
    assert status == 200, body
    return body


def cells_of(doc: Doc[Any]) -> list[dict[str, Any]]:
    """Every cell's id, source and outputs: what a person sees of the notebook."""
    seen = []
    for ycell in doc.get("cells", type=Array):
        cell = ycell.to_py()
        seen.append({k: cell.get(k) for k in ("id", "source", "outputs")})
    return seen


def doc_of(update: str) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    doc.apply_update(base64.b64decode(update))
    return doc


def type_at_end(client: YClient, index: int, text: str) -> None:
    source: Text = client.cells[index]["source"]
    source.insert(len(source), text)


def move_cell(client: YClient, from_index: int, to_index: int) -> None:
    """What @jupyter/ydoc does: delete the cell and insert a copy with the same id."""
    with client.doc.transaction():
        cell = client.cells[from_index].to_py()
        del client.cells[from_index]
        client.cells.insert(
            to_index,
            Map(
                {
                    "id": cell["id"],
                    "cell_type": cell["cell_type"],
                    "source": Text(cell["source"]),
                    "metadata": Map(),
                    "outputs": Array(),
                    "execution_count": None,
                }
            ),
        )


async def converge(a: YClient, b: YClient) -> None:
    """Wait until both clients show the same cells, woken by a change in either document
    (whichever is behind is the one that changes next)."""
    changed = asyncio.Event()
    subscriptions = [(c.doc, c.doc.observe(lambda _event: changed.set())) for c in (a, b)]
    try:
        async with asyncio.timeout(10):
            while cells_of(a.doc) != cells_of(b.doc):
                await changed.wait()
                changed.clear()
    finally:
        for doc, subscription in subscriptions:
            doc.unobserve(subscription)


async def test_moments_rebuild_exactly_what_the_clients_had(server: ServerProcess) -> None:
    async with owner_and_bo(server, NB) as (ana, bo, _):
        seen: list[tuple[int, list[dict[str, Any]]]] = []

        async def remember() -> None:
            await converge(ana, bo)
            moment = api(server, "moment")
            seen.append((moment["seq"], cells_of(ana.doc)))

        await remember()
        for word in ("a", "b", "c"):

            def ana_types(doc: Doc[Any], w: str = word) -> None:
                type_at_end(ana, 1, f"\nana_{w} = 1")

            def bo_types(doc: Doc[Any], w: str = word) -> None:
                type_at_end(bo, 2, f"\nbo_{w} = 2")

            await ana.edit(ana_types)
            await bo.edit(bo_types)
        await remember()
        await bo.edit(lambda doc: move_cell(bo, 2, 1))
        await ana.edit(lambda doc: ana.add_code_cell("new", "print('new')"))
        await remember()
        reply = await ana.command("run", cells=["new"])
        assert reply["ok"], reply
        await ana.wait_until(lambda: len(ana.cells[3]["outputs"]) == 1, timeout=60)
        await bo.wait_until(lambda: len(bo.cells[3]["outputs"]) == 1)
        await remember()

        def delete_the_first_cell(doc: Doc[Any]) -> None:
            if len(ana.cells):
                del bo.cells[0]

        await bo.edit(delete_the_first_cell)
        await remember()
        assert len({seq for seq, _ in seen}) == len(seen), "every step moved the log on"
        for seq, cells in seen:
            moment = api(server, "moment", seq=seq)
            assert moment["seq"] == seq
            assert cells_of(doc_of(moment["update"])) == cells, f"moment {seq}"
        # The newest moment is the live document (the run's record and kernel maps too).
        assert doc_of(api(server, "moment")["update"]).get("executions", type=Map).to_py()
        timeline = api(server, "timeline")
        runs = [e for e in timeline["events"] if e["kind"] == "run"]
        # The run started at once: its record was written running (it never waited queued).
        assert {e["data"]["status"] for e in runs} >= {"running", "ok"}
        assert {e["user"] for e in runs} == {"owner"}
        joins = [e for e in timeline["events"] if e["kind"] == "join"]
        assert {e["data"]["name"] for e in joins} == {"Owner", "Bo"}
        assert set(timeline["density"]) == {"owner", joins[-1]["user"]}
        assert sum(sum(row) for row in timeline["density"].values()) >= 8


async def test_blame_names_each_line_after_interleaved_edits_moves_and_deletions(
    server: ServerProcess,
) -> None:
    async with owner_and_bo(server, NB) as (ana, bo, bo_id):
        await ana.edit(lambda doc: ana.add_code_cell("work", "import math\n"))
        await bo.wait_until(lambda: len(bo.cells) == 4)
        await bo.edit(lambda doc: type_at_end(bo, 3, "r = 2\n"))
        await ana.wait_until(lambda: "r = 2" in ana.source(3))
        await ana.edit(lambda doc: type_at_end(ana, 3, "area = math.pi * r ** 2\n"))
        await bo.wait_until(lambda: "area" in bo.source(3))
        await bo.edit(lambda doc: type_at_end(bo, 3, "print(area)"))
        await ana.wait_until(lambda: "print" in ana.source(3))
        # Ana deletes Bo's "r = 2" line and writes her own; Bo moves the cell to the top.
        start = len("import math\n")
        await ana.edit(lambda doc: ana.cells[3]["source"].__delitem__(slice(start, start + 6)))
        await ana.edit(lambda doc: ana.cells[3]["source"].insert(start, "r = 3\n"))
        await bo.wait_until(lambda: "r = 3" in bo.source(3))
        await bo.edit(lambda doc: move_cell(bo, 3, 0))
        await converge(ana, bo)
        blame = api(server, "blame", cell="work")
        assert [(line["text"], line["user"]) for line in blame["lines"]] == [
            ("import math", "owner"),
            ("r = 3", "owner"),
            ("area = math.pi * r ** 2", "owner"),
            ("print(area)", bo_id),
        ]
        # The same, asked of the live room by command (the notebook page's blame toggle).
        live = await bo.command("blame", cell="work")
        assert live["ok"], live
        assert live["result"]["server_color"].startswith("#")  # "the file" is drawn in it
        assert [line["user"] for line in live["result"]["lines"]] == [
            "owner", "owner", "owner", bo_id,
        ]  # fmt: skip
        # Before Ana's rewrite, the second line was Bo's.
        moments = api(server, "chunk", after=0, limit=2000)["steps"]
        before = next(s["seq"] for s in moments if s["user"] == bo_id) + 1
        early = api(server, "blame", cell="work", seq=before)
        assert [(line["text"], line["user"]) for line in early["lines"]][:2] == [
            ("import math", "owner"),
            ("r = 2", bo_id),
        ]


async def test_restore_is_an_edit_by_whoever_asked(server: ServerProcess) -> None:
    async with owner_and_bo(server, NB) as (ana, bo, bo_id):
        await ana.set_source(1, "good = 1")
        await bo.wait_until(lambda: bo.source(1) == "good = 1")
        good_seq = api(server, "moment")["seq"]
        await bo.set_source(1, "broken(")
        await ana.wait_until(lambda: ana.source(1) == "broken(")
        reply = await ana.command("restore", seq=good_seq, cell="code-0")
        assert reply["ok"], reply
        await bo.wait_until(lambda: bo.source(1) == "good = 1")
        lines = [
            json.loads(line) for line in str(server.get(f"/api/replay/{NB}/export")[1]).splitlines()
        ]
        updates = [line for line in lines if line["type"] == "update"]
        assert updates[-1]["seq"] == reply["result"]["seq"]
        assert updates[-1]["user"] == "owner"
        restores = [line for line in lines if line.get("kind") == "restore"]
        assert restores[-1]["user"] == "owner"
        assert restores[-1]["data"] == {"from_seq": good_seq, "cell": "code-0"}
        # The whole notebook, by Bo this time: the cell he added goes away again.
        await bo.edit(lambda doc: bo.add_code_cell("extra", "x"))
        await ana.wait_until(lambda: len(ana.cells) == 4)
        reply = await bo.command("restore", seq=good_seq)
        assert reply["ok"], reply
        await ana.wait_until(lambda: len(ana.cells) == 3)
        assert ana.source(1) == "good = 1"
        export = str(server.get(f"/api/replay/{NB}/export")[1])
        last = [json.loads(x) for x in export.splitlines()]
        assert [x for x in last if x["type"] == "update"][-1]["user"] == bo_id
        viewer_token, _ = server.join("viewer", "Vi")
        async with YClient(server.ws_url(NB, viewer_token)) as vi:
            refused = await vi.command("restore", seq=good_seq)
            assert not refused["ok"]
            assert "viewers" in refused["error"]


async def test_recording_off_is_visible_to_everyone_and_hides_its_moments(
    server: ServerProcess,
) -> None:
    async with owner_and_bo(server, NB) as (ana, bo, bo_id):
        await ana.set_source(1, "before = 1")
        await bo.wait_until(lambda: bo.source(1) == "before = 1")
        on_seq = api(server, "moment")["seq"]
        reply = await bo.command("recording", on=False)
        assert reply["ok"], reply
        assert reply["result"]["on"] is False
        await ana.wait_until(lambda: ana.map("recording").get("on") is False)
        assert ana.map("recording")["by"] == bo_id
        for text in ("s", "se", "sec", "secret = 1"):
            await ana.set_source(1, text)
        await bo.wait_until(lambda: bo.source(1) == "secret = 1")
        inside = api(server, "timeline")["last_seq"] - 2
        # While it is off, the newest moment shown is the one where it was turned off.
        assert api(server, "moment")["seq"] < inside
        reply = await ana.command("recording", on=True)
        assert reply["ok"], reply
        await bo.wait_until(lambda: bo.map("recording").get("on") is True)
        timeline = api(server, "timeline")
        assert len(timeline["off"]) == 1
        window = timeline["off"][0]
        assert window["from_seq"] >= on_seq
        assert window["from_seq"] < inside <= window["to_seq"]
        # A moment inside the window shows the moment recording came back instead.
        assert api(server, "moment", seq=inside)["seq"] == window["to_seq"]
        steps = api(server, "chunk", after=on_seq, limit=100)["steps"]
        gaps = [s for s in steps if s.get("gap")]
        assert len(gaps) == 1
        assert not any(window["from_seq"] < s["seq"] < window["to_seq"] for s in steps)
        assert (
            doc_of(api(server, "moment")["update"]).get("cells", type=Array)[1]["source"].to_py()
            == "secret = 1"
        )


async def test_only_people_with_access_see_recordings(server: ServerProcess) -> None:
    async with YClient(server.ws_url(NB)) as ana:
        await ana.set_source(1, "x = 2")
    viewer_token, _ = server.join("viewer", "Vi")
    assert server.get(f"/api/replay/{NB}/timeline", token=None)[0] == 401
    assert server.get(f"/api/replay/{NB}/timeline", token="not-a-token")[0] == 401
    assert server.get("/api/replay/../secret.ipynb/timeline")[0] == 404
    assert server.get("/api/replay/missing.ipynb/moment")[0] == 404
    assert api(server, "timeline", token=viewer_token)["last_seq"] > 0
    status, sessions = server.get("/api/replay", token=viewer_token)
    assert status == 200
    assert [s["room"] for s in sessions["sessions"]] == [NB]  # type: ignore[index]
    status, refused = server.request(
        "POST", f"/api/replay/{NB}/restore", {"seq": 1}, token=viewer_token
    )
    assert status == 403, refused
    status, page = server.get(f"/replay/{NB}", token=None)
    assert status == 200
    assert '<div id="app"' in str(page)


def replay_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PAIRBOOK), "replay", *args], capture_output=True, text=True)


async def test_the_cli_lists_exports_and_rebuilds_a_session(
    server: ServerProcess, workdir: Path, store_path: str, tmp_path: Path
) -> None:
    async with YClient(server.ws_url(NB)) as ana, YClient(server.ws_url(NB)) as other:
        await ana.set_source(1, "first = 1")
        await other.wait_until(lambda: other.source(1) == "first = 1")  # it is in the log
        first_seq = api(server, "moment")["seq"]
        await ana.set_source(1, "second = 2")
        await other.wait_until(lambda: other.source(1) == "second = 2")
        final = cells_of(doc_of(api(server, "moment")["update"]))
    server.stop()
    where = ("--dir", str(workdir), "--store", store_path)
    listed = await asyncio.to_thread(replay_cli, "list", *where)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(f"{NB}\t")
    assert "recording on" in listed.stdout
    info = await asyncio.to_thread(replay_cli, "info", NB, *where)
    assert json.loads(info.stdout)["people"] == {"owner": "Owner"}
    out = tmp_path / "session.jsonl"
    exported = await asyncio.to_thread(replay_cli, "export", NB, *where, "-o", str(out))
    assert exported.returncode == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["type"] == "header"
    assert lines[0]["format"] == "pairbook-replay/1"
    rebuilt: Doc[Any] = Doc()
    for line in lines:
        if line["type"] in ("update", "gap", "checkpoint"):
            rebuilt.apply_update(base64.b64decode(line["update"]))
    assert cells_of(rebuilt) == final
    assert {line["kind"] for line in lines if line["type"] == "event"} >= {"join", "leave"}
    early = await asyncio.to_thread(
        replay_cli, "export", NB, *where, "--notebook-at", str(first_seq)
    )
    assert early.returncode == 0, early.stderr
    notebook = json.loads(early.stdout)
    assert "".join(notebook["cells"][1]["source"]) == "first = 1"
    missing = await asyncio.to_thread(replay_cli, "info", "nope.ipynb", *where)
    assert missing.returncode != 0
    assert "no recording" in missing.stderr


async def test_retention_forgets_old_history_and_the_replay_starts_after_it(
    workdir: Path, store_path: str
) -> None:
    with ServerProcess(workdir, store=store_path, args=("--checkpoint-every", "5")) as first:
        async with YClient(first.ws_url(NB)) as ana, YClient(first.ws_url(NB)) as other:
            for i in range(12):
                await ana.set_source(1, f"old = {i}")
            await other.wait_until(lambda: other.source(1) == "old = 11")
        old_last = api(first, "timeline")["last_seq"]
    # Retention is about age: let the first session become older than 0.5 s (0.000006 days).
    await asyncio.sleep(1.0)
    args = ("--checkpoint-every", "5", "--record-retention", "0.000006")
    with ServerProcess(workdir, store=store_path, args=args) as second:
        async with YClient(second.ws_url(NB)) as ana, YClient(second.ws_url(NB)) as other:
            # The room applied retention when it opened, before these clients got the document.
            await ana.set_source(1, "new = 1")
            await other.wait_until(lambda: other.source(1) == "new = 1")  # it is in the log
            timeline = api(second, "timeline")
            assert 0 < timeline["first_seq"] <= old_last
            moment = api(second, "moment", seq=1)
            assert moment["seq"] == timeline["first_seq"]
            # It starts at a checkpoint: one taken once 5 records went by, at whatever seq
            # the log had then (a group commit can take the log from 9 to 13 at once).
            lines = server_lines(second)
            assert [line["type"] for line in lines[:2]] == ["header", "checkpoint"]
            rebuilt: Doc[Any] = Doc()
            for line in lines:
                if line["type"] in ("update", "gap", "checkpoint"):
                    rebuilt.apply_update(base64.b64decode(line["update"]))
            assert cells_of(rebuilt) == cells_of(ana.doc)


def server_lines(server: ServerProcess) -> list[dict[str, Any]]:
    status, body = server.get(f"/api/replay/{NB}/export")
    assert status == 200
    return [json.loads(line) for line in str(body).splitlines()]


async def test_the_timeline_names_everyone_with_chat_and_role_changes(
    server: ServerProcess,
) -> None:
    async with owner_and_bo(server, NB) as (ana, bo, bo_id):
        steps: tuple[tuple[YClient, str, dict[str, Any]], ...] = (
            (ana, "mob-mode", {"mode": "mob"}),
            (ana, "mob-chat", {"text": "Bo, your turn next"}),
            (ana, "mob-handover", {}),
            (bo, "mob-chat", {"text": "on it"}),
        )
        for client, command, args in steps:
            reply = await client.command(command, **args)
            assert reply["ok"], reply
        await bo.wait_until(lambda: bo.map("mob").get("driver") == bo_id)
        await bo.edit(lambda doc: type_at_end(bo, 1, "\nbo_drives = 1"))
        await ana.wait_until(lambda: ana.source(1).endswith("bo_drives = 1"))
    timeline = api(server, "timeline")
    chat = [(e["user"], e["data"]) for e in timeline["events"] if e["kind"] == "chat"]
    assert chat == [("owner", {"text": "Bo, your turn next"}), (bo_id, {"text": "on it"})]
    assert not [e for e in timeline["events"] if e["kind"] == "command"]
    drivers = [e["data"]["driver"] for e in timeline["events"] if e["kind"] == "role"]
    assert drivers[0] == "owner"
    assert drivers[-1] == bo_id
    roles = [e for e in timeline["events"] if e["kind"] == "role"][-1]
    # Who changed the roles: the sender of the command that did (noted just after it).
    assert (roles["user"], roles["data"]["command"]) == ("owner", "mob-handover")
    assert roles["data"]["roles"] == {"owner": "navigator", bo_id: "driver"}
    # Every id the timeline names comes with a name and a color.
    named = {e["user"] for e in timeline["events"] if e["user"]} | set(roles["data"]["roles"])
    assert named <= set(timeline["people"])
    assert timeline["people"]["owner"]["name"] == "Owner"
    assert timeline["people"][bo_id]["name"] == "Bo"
    assert all(p["color"].startswith("#") for p in timeline["people"].values())
    assert timeline["server_color"].startswith("#")
    status, listed = server.get("/api/replay")
    assert status == 200
    (summary,) = listed["sessions"]  # type: ignore[index]
    assert (summary["chat"], summary["role_changes"]) == (2, len(drivers))
    # Chat events sit at the log position of the message: the moment there holds it.
    said = next(e for e in timeline["events"] if e["kind"] == "chat")
    mob_map = doc_of(api(server, "moment", seq=said["seq"])["update"]).get("mob", type=Map)
    assert [m["text"] for m in mob_map.to_py()["chat"]] == ["Bo, your turn next"]
