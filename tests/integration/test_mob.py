"""Mob programming against a real server: the driver gate, rotation, handover, summary, commit."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from pairbook.protocol.messages import AuthMessage, decode_message, encode_sync_update
from support.client import RawPeer, YClient
from support.pair import owner_and_bo
from support.server import PAIRBOOK, ServerProcess

pytestmark = pytest.mark.integration


def mob(client: YClient) -> dict[str, Any]:
    return client.map("mob")


async def ok(client: YClient, command: str, **args: Any) -> dict[str, Any]:
    reply = await client.command(command, **args)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


async def wait_for_driver(client: YClient, user: str | None, timeout: float = 20) -> None:
    await client.wait_until(lambda: mob(client).get("driver") == user, timeout=timeout)


def new_cell_update(cell_id: str, source: str) -> tuple[Doc[Any], bytes]:
    """A stock client's edit: a new code cell, from a document of its own."""
    doc: Doc[Any] = Doc()
    cells: Array[Map[Any]] = Array()
    doc["cells"] = cells
    cells.append(Map({"id": cell_id, "cell_type": "code", "source": Text(source)}))
    return doc, doc.get_update()


async def denial(peer: RawPeer) -> str:
    while True:
        message = decode_message(await peer.recv())
        if isinstance(message, AuthMessage):
            return message.reason


async def test_in_mob_mode_a_navigators_edit_and_run_are_refused_and_nothing_changes(
    server: ServerProcess,
) -> None:
    bo_token, bo_id = server.join("editor", "Bo")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
    ):
        result = await ok(ana, "mob-mode", mode="mob")
        assert result["driver"] == "owner"
        await bo.wait_until(lambda: mob(bo).get("mode") == "mob")
        assert mob(bo)["queue"] == [bo_id]

        # Bo's own edit and run are refused with a clear message...
        async with RawPeer(server.ws_url("demo.ipynb", bo_token)) as raw:
            _, update = new_cell_update("sneaky", "import os; os.remove('everything')")
            await raw.send(encode_sync_update(update))
            reason = await denial(raw)
        assert "mob mode" in reason
        assert "only the driver (Owner)" in reason
        run = await bo.command("run", cells=["code-0"])
        assert not run["ok"]
        assert "only the driver (Owner) runs cells" in run["error"]
        check = await bo.command("check")  # a fresh-environment check is the driver's too
        assert not check["ok"]
        assert "only the driver (Owner)" in check["error"]

        # ...while the driver types and runs as usual.
        await ana.set_source(1, "x = 41 + 1\nprint(x)")
        await bo.wait_until(lambda: bo.source(1) == "x = 41 + 1\nprint(x)")
        await ok(ana, "run", cells=["code-0"])
        await bo.wait_until(lambda: len(bo.map("executions")) == 1)

    # Nothing of Bo's reached the room: a fresh peer sees the driver's work only.
    async with YClient(server.ws_url("demo.ipynb")) as fresh:
        assert [str(c["id"]) for c in fresh.cells] == ["intro", "code-0", "code-1"]
        assert fresh.source(1) == "x = 41 + 1\nprint(x)"
        (record,) = fresh.map("executions").values()
        assert record["user"]["id"] == "owner"


async def test_a_stock_client_that_keeps_typing_is_told_to_reload_and_corrupts_nothing(
    server: ServerProcess,
) -> None:
    bo_token, _ = server.join("editor", "Bo")
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ok(ana, "mob-mode", mode="mob")
        async with RawPeer(server.ws_url("demo.ipynb", bo_token)) as bo:
            doc, first = new_cell_update("stray", "oops")
            await bo.send(encode_sync_update(first))
            assert "mob mode" in await denial(bo)
            before = doc.get_state()
            doc.get("cells", type=Array)[0]["source"].insert(4, " more")
            await bo.send(encode_sync_update(doc.get_update(before)))
            code, reason = await bo.closed_with()
        assert code == 4409, reason

        # Even once Bo drives, the edit refused earlier never merges: a resync of that
        # same document is told to reload.
        async with YClient(server.ws_url("demo.ipynb", bo_token)) as bo_again:
            await ok(bo_again, "mob-take")
            await ok(ana, "mob-consent", accept=True)
            await ana.wait_until(lambda: mob(ana)["driver"] not in (None, "owner"))
            async with RawPeer(server.ws_url("demo.ipynb", bo_token)) as bo:
                await bo.send(encode_sync_update(doc.get_update()))
                code, _ = await bo.closed_with()
            assert code == 4409
        assert [str(c["id"]) for c in ana.cells] == ["intro", "code-0", "code-1"]


async def test_rotation_passes_the_keyboard_on_schedule_and_the_new_driver_can_type(
    server: ServerProcess,
) -> None:
    async with owner_and_bo(server) as (ana, bo, bo_id):
        await ok(ana, "mob-settings", turn_seconds=1.5)
        await ok(ana, "mob-mode", mode="mob")
        await ok(bo, "mob-clock")  # Bo's client speaks pairbook: it gets events
        handover = await bo.event("mob-handover")
        assert handover["driver"] == bo_id
        assert handover["reason"] == "turn"
        assert handover["previous"] == "owner"
        await wait_for_driver(ana, bo_id)
        assert mob(ana)["queue"] == ["owner"]
        await bo.set_source(2, "y = 'Bo drives'")
        await ana.wait_until(lambda: ana.source(2) == "y = 'Bo drives'")
        # And round it goes: the keyboard comes back to Ana on schedule.
        await wait_for_driver(bo, "owner")
        turns = mob(bo)["turns"]
        assert [t[0] for t in turns[:2]] == ["owner", bo_id]


async def test_a_driver_who_disconnects_hands_over_after_the_grace_period(
    server: ServerProcess,
) -> None:
    bo_token, bo_id = server.join("editor", "Bo")
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ok(ana, "mob-settings", grace_seconds=1)
        async with YClient(server.ws_url("demo.ipynb", bo_token)) as bo:
            await ok(ana, "mob-mode", mode="mob")
            await ok(ana, "mob-handover")
            await wait_for_driver(bo, bo_id)
        handovers = [await ana.event("mob-handover") for _ in range(3)]
        assert [h["reason"] for h in handovers] == ["start", "handover", "disconnect"]
        handover = handovers[-1]
        assert (handover["previous"], handover["driver"]) == (bo_id, "owner")
        assert handover["reason"] == "disconnect"
        await wait_for_driver(ana, "owner")


async def test_taking_the_keyboard_needs_the_drivers_consent(server: ServerProcess) -> None:
    async with owner_and_bo(server) as (ana, bo, bo_id):
        await ok(ana, "mob-mode", mode="mob")
        assert (await ok(bo, "mob-take"))["pending"]
        await ana.wait_until(lambda: (mob(ana).get("take_request") or {}).get("user") == bo_id)
        assert mob(ana)["driver"] == "owner"
        refused = await bo.command("mob-consent", accept=True)
        assert "only the driver" in refused["error"]
        await ok(ana, "mob-consent", accept=True)
        await wait_for_driver(bo, bo_id)
        assert mob(bo)["take_request"] is None


async def test_only_the_owner_switches_modes_and_pair_mode_lets_everyone_type(
    server: ServerProcess,
) -> None:
    async with owner_and_bo(server) as (ana, bo, _):
        refused = await bo.command("mob-mode", mode="mob")
        assert "only the owner" in refused["error"]
        await ok(ana, "mob-mode", mode="mob")
        await ok(ana, "mob-mode", mode="pair")
        await bo.wait_until(lambda: mob(bo).get("mode") == "pair")
        await bo.set_source(2, "z = 'pair again'")
        await ana.wait_until(lambda: ana.source(2) == "z = 'pair again'")


async def test_chat_is_kept_with_the_session(server: ServerProcess, workdir: Path) -> None:
    vi_token, _ = server.join("viewer", "Vi")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", vi_token)) as vi,
    ):
        await ok(ana, "mob-chat", text="look at cell 2")
        await ok(ana, "mob-settings", viewer_chat=True)  # viewers only read it otherwise
        await ok(vi, "mob-chat", text="the loop on line 3?")
        empty = await vi.command("mob-chat", text="   ")
        assert not empty["ok"]
        await ana.wait_until(lambda: len(mob(ana).get("chat", [])) == 2)
    server.stop()
    server.start()
    async with YClient(server.ws_url("demo.ipynb")) as later:
        chat = mob(later)["chat"]
        assert [(m["user"]["name"], m["text"]) for m in chat] == [
            ("Owner", "look at cell 2"),
            ("Vi", "the loop on line 3?"),
        ]
        assert [m["role"] for m in chat] == ["owner", "viewer"]
        assert mob(later)["settings"]["viewer_chat"] is True


async def session_of_two(server: ServerProcess) -> tuple[str, str]:
    """Ana drives, edits and runs code-0; Bo drives, edits and runs code-1; Cy watches."""
    bo_token, bo_id = server.join("editor", "Bo", "bo@example.org")
    cy_token, cy_id = server.join("editor", "Cy", "cy@example.org")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
        YClient(server.ws_url("demo.ipynb", cy_token)) as cy,
    ):
        await ok(ana, "mob-mode", mode="mob")
        await ok(ana, "mob-reorder", queue=[bo_id, cy_id])
        await ana.set_source(1, "x = 2\nprint(x)")
        await ok(ana, "run", cells=["code-0"])
        await ana.wait_until(lambda: len(ana.map("executions")) == 1, timeout=60)
        await ok(ana, "mob-handover")
        await wait_for_driver(bo, bo_id)
        await bo.set_source(2, "y = x * 21\ny")
        await ok(bo, "run", cells=["code-1"])
        await bo.wait_until(
            lambda: any(
                r["started_at"] for r in bo.map("executions").values() if r["user"]["id"] == bo_id
            ),
            timeout=60,
        )
        await cy.wait_until(lambda: cy.source(2) == "y = x * 21\ny")
        return bo_id, cy_id


async def test_the_summary_credits_everyone_who_drove_changed_or_ran(
    server: ServerProcess,
) -> None:
    bo_id, cy_id = await session_of_two(server)
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        summary = await ok(ana, "mob-summary", subject="Double x")
    people = {p["id"]: p for p in summary["people"]}
    assert people["owner"]["changed"] == ["code-0"]
    assert people["owner"]["ran"] == ["code-0"]
    assert people[bo_id]["changed"] == ["code-1"]
    assert people[bo_id]["ran"] == ["code-1"]
    assert people["owner"]["drove_seconds"] > 0
    assert people[bo_id]["drove_seconds"] > 0
    assert people[cy_id]["contributed"] is False
    assert summary["trailers"] == [
        f"Co-authored-by: {people[uid]['name']} <{email}>"
        for uid, email in sorted(
            [("owner", "owner@users.pairbook.invalid"), (bo_id, "bo@example.org")],
            key=lambda pair: -people[pair[0]]["drove_seconds"],
        )
    ]
    message = summary["message"]
    assert message.startswith("Double x\n\n")
    assert "Co-authored-by: Bo <bo@example.org>" in message
    assert "Cy" not in message
    # The session's review page, since the session began, linked beside the message.
    assert summary["review"].startswith("/notebooks/demo.ipynb/review?since=")
    assert f"\nReview: {summary['review']}\n" in message


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


async def pairbook_commit(notebook: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(PAIRBOOK), "commit", str(notebook), *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, check=False
    )


async def test_pairbook_commit_lands_in_the_git_repository_with_the_trailers(
    server: ServerProcess, workdir: Path, store_path: str
) -> None:
    git(workdir, "init", "--quiet", "--initial-branch=main")
    git(workdir, "config", "user.name", "Test Committer")
    git(workdir, "config", "user.email", "committer@example.org")
    (workdir / "demo.py").write_text("# readable export\nx = 1\n")
    git(workdir, "add", "demo.ipynb")
    git(workdir, "commit", "--quiet", "-m", "Start")
    start = git(workdir, "rev-parse", "HEAD").strip()
    (workdir / "unrelated.txt").write_text("not part of the notebook commit\n")
    git(workdir, "add", "unrelated.txt")

    await session_of_two(server)
    notebook = workdir / "demo.ipynb"
    async with asyncio.timeout(30):
        while "y = x * 21" not in notebook.read_text():  # noqa: ASYNC110 - the server writes it
            await asyncio.sleep(0.05)  # polling a file another process autosaves

    done = await pairbook_commit(notebook, "-m", "Double x", "--store", store_path)
    assert done.returncode == 0, done.stderr
    assert "co-authors: " in done.stdout
    body = git(workdir, "log", "-1", "--format=%B")
    assert body.startswith("Double x\n")
    assert "Co-authored-by: Bo <bo@example.org>" in body
    assert "Co-authored-by: Owner <owner@users.pairbook.invalid>" in body
    assert "Cy" not in body
    assert f"\nReview: /notebooks/demo.ipynb/review?since={start}&until=" in body
    files = git(workdir, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(files) == ["demo.ipynb", "demo.py"]
    assert "unrelated.txt" in git(workdir, "diff", "--cached", "--name-only")
    assert "y = x * 21" in git(workdir, "show", "HEAD:demo.ipynb")

    again = await pairbook_commit(notebook, "--store", store_path)
    assert again.returncode == 2
    assert "nothing to commit" in again.stderr


async def test_pairbook_commit_credits_a_pair_session_from_the_log(
    server: ServerProcess, workdir: Path, store_path: str
) -> None:
    bo_token, _ = server.join("editor", "Bo", "bo@example.org")
    _, _ = server.join("editor", "Idle", "idle@example.org")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
    ):
        await bo.set_source(2, "y = 'typed by Bo'")
        await ana.wait_until(lambda: ana.source(2) == "y = 'typed by Bo'")
        assert ana.map("mob") == {}  # pairing alone writes nothing of the mob's
    done = await pairbook_commit(workdir / "demo.ipynb", "--dry-run", "--store", store_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("\n\nCo-authored-by: Bo <bo@example.org>\n")
    assert "- Bo: changed 1 cell(s), ran 0 cell(s)" in done.stdout
    assert "Idle" not in done.stdout


async def test_a_new_session_counts_from_now_and_only_the_owner_starts_one(
    server: ServerProcess,
) -> None:
    async with owner_and_bo(server) as (ana, bo, bo_id):
        await ok(ana, "mob-mode", mode="mob")
        await ana.set_source(1, "x = 3\nprint(x)")
        await ana.wait_until(lambda: "owner" in mob(ana).get("changed", {}))
        refused = await bo.command("mob-reset")
        assert "only the owner" in refused["error"]
        await ok(ana, "mob-reset")
        summary = await ok(bo, "mob-summary")
        people = {p["id"]: p for p in summary["people"]}
        assert people["owner"]["changed"] == []
        assert people["owner"]["drove_seconds"] < 60
        assert people[bo_id]["contributed"] is False


async def test_pairbook_commit_outside_a_git_repository_says_what_to_do(
    server: ServerProcess, workdir: Path, store_path: str
) -> None:
    done = await pairbook_commit(workdir / "demo.ipynb", "--store", store_path)
    assert done.returncode == 2
    assert "not in a git repository; run `git init` there first" in done.stderr
    missing = await pairbook_commit(workdir / "nope.ipynb")
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


async def test_the_mob_survives_a_server_restart(server: ServerProcess) -> None:
    bo_token, bo_id = server.join("editor", "Bo")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
    ):
        await ok(ana, "mob-settings", turn_seconds=900, grace_seconds=300)
        await ok(ana, "mob-mode", mode="mob")
        await bo.wait_until(lambda: mob(bo).get("driver") == "owner")
    server.stop()
    server.start()
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
    ):
        state = mob(ana)
        assert (state["mode"], state["driver"], state["queue"]) == ("mob", "owner", [bo_id])
        assert state["settings"]["turn_seconds"] == 900
        # Back within the grace period, the driver still drives and the gate still holds.
        run = await bo.command("run", cells=["code-0"])
        assert "only the driver (Owner)" in run["error"]
        await ana.set_source(1, "print('after the restart')")
        await bo.wait_until(lambda: bo.source(1) == "print('after the restart')")


async def test_a_break_reminder_comes_on_schedule_until_someone_takes_the_break(
    server: ServerProcess,
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ok(ana, "mob-settings", break_every=1)
        await ok(ana, "mob-mode", mode="mob")
        reminder = await ana.event("mob-break")
        assert reminder["at"] > 0
        await ana.wait_until(lambda: (mob(ana).get("break") or {}).get("last") is not None)
        await ok(ana, "mob-settings", break_every=0)  # no more reminders after this one
        await ok(ana, "mob-break")
        await ana.wait_until(lambda: mob(ana)["break"]["last"] is None)
