"""The mob, events to one member and the recording across two real `pairbook serve`
processes (one PostgreSQL log, one Redis), with the room owned by A: a navigator connected
to B is in A's rotation, becomes the driver by hand over or by the turn's end, and then
edits and runs; input() asked by a run requested on B reaches the requester on B and the
answer goes back; A alone records the room, with B's people in it and their edits blamed
on them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from support.client import YClient
from support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

NB = "demo.ipynb"
ASK = "import os\nname = input('who? ')\nprint('hello', name, 'from', os.environ['PROCESS_NAME'])"


def printed(client: YClient, index: int) -> str:
    outputs = [o.to_py() if hasattr(o, "to_py") else o for o in client.cells[index]["outputs"]]
    return "".join(str(o.get("text", "")) for o in outputs)


def mob(client: YClient) -> dict[str, Any]:
    return client.map("mob")


async def test_a_navigator_on_b_drives_after_a_hand_over_and_answers_its_own_input(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    bo_token, bo_id = b.join("editor", "Bo")
    async with (
        YClient(a.ws_url(NB)) as ana,  # A opens the room first: A owns it
        YClient(b.ws_url(NB, bo_token)) as bo,
    ):
        assert (await bo.command("whoami"))["ok"]  # a pairbook client: it gets events
        assert (await ana.command("mob-mode", mode="mob"))["ok"]
        # A's rotation counts Bo, connected to B: Bo navigates, next in the queue.
        await bo.wait_until(lambda: mob(bo).get("roles", {}).get(bo_id) == "navigator")
        assert mob(bo)["driver"] == "owner"
        assert bo_id in mob(bo)["queue"]
        refused = await bo.command("run", cells=["code-0"])
        assert "only the driver (Owner) runs cells" in refused["error"]

        assert (await ana.command("mob-handover"))["ok"]
        started = await bo.event("mob-handover")  # A's events reach Bo on B
        assert (started["reason"], started["driver"]) == ("start", "owner")
        handover = await bo.event("mob-handover")
        assert (handover["reason"], handover["previous"], handover["driver"]) == (
            "handover", "owner", bo_id,
        )  # fmt: skip
        await bo.wait_until(lambda: mob(bo).get("driver") == bo_id)
        await bo.set_source(1, ASK)  # B's own gate lets the driver type
        await ana.wait_until(lambda: ana.source(1) == ASK)
        ran = await bo.command("run", cells=["code-0"])
        assert ran["ok"], ran
        asked = await bo.event("input-request", timeout=60)  # from A's kernel, to Bo on B
        assert asked["prompt"] == "who? "
        assert not [e for e in ana.events if e.get("event") == "input-request"]
        assert (await ana.command("input-reply", execution=asked["execution"], value="Ana"))[
            "ok"
        ] is False  # only the person who ran the cell answers
        answered = await bo.command("input-reply", execution=asked["execution"], value="Bo")
        assert answered["ok"], answered
        await ana.wait_until(lambda: "hello Bo from a" in printed(ana, 1), timeout=60)
        assert mob(ana)["roles"]["owner"] == "navigator"  # A's own member navigates now


async def test_the_turn_passes_to_a_navigator_on_b_who_then_runs_and_leaves(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    bo_token, bo_id = b.join("editor", "Bo")
    async with YClient(a.ws_url(NB)) as ana:
        async with YClient(b.ws_url(NB, bo_token)) as bo:
            assert (await ana.command("mob-mode", mode="mob"))["ok"]
            await bo.wait_until(lambda: bo_id in mob(bo).get("queue", []))
            settings = await ana.command("mob-settings", turn_seconds=2, grace_seconds=1)
            assert settings["ok"], settings
            await ana.wait_until(lambda: mob(ana).get("driver") == bo_id, timeout=20)
            # Bo's turn lasts now (the owner sees the turn pass first, on A, and makes it
            # long before it ends).
            assert (await ana.command("mob-settings", turn_seconds=600))["ok"]
            await bo.wait_until(lambda: mob(bo).get("driver") == bo_id)
            await bo.set_source(1, "print('run by the new driver')")
            await ana.wait_until(lambda: "new driver" in ana.source(1))
            ran = await bo.command("run", cells=["code-0"])
            assert ran["ok"], ran
            await ana.wait_until(lambda: "run by the new driver" in printed(ana, 1), timeout=60)
        # Bo's connection to B closed: A's rotation hears it, and after the grace the
        # keyboard passes to the one who is here.
        await ana.wait_until(lambda: mob(ana).get("driver") == "owner", timeout=20)


async def test_the_owner_alone_records_edits_from_both_processes_each_by_its_author(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    bo_token, bo_id = b.join("editor", "Bo")
    async with YClient(a.ws_url(NB)) as ana, YClient(b.ws_url(NB, bo_token)) as bo:
        await ana.set_source(1, "x = 1")
        await bo.wait_until(lambda: bo.source(1) == "x = 1")
        await bo.edit(lambda doc: bo.cells[1]["source"].insert(len("x = 1"), "\ny = 2"))
        await ana.wait_until(lambda: ana.source(1) == "x = 1\ny = 2")
        live = await bo.command("blame", cell="code-0")  # asked on B, answered by A
        assert live["ok"], live
    for server in (a, b):  # whichever process is asked, one recording
        status, blame = server.get(f"/api/replay/{quote(NB)}/blame?cell=code-0")
        assert status == 200, blame
        assert isinstance(blame, dict)
        assert [(line["text"], line["user"]) for line in blame["lines"]] == [
            ("x = 1", "owner"),
            ("y = 2", bo_id),
        ]
        assert [line["user"] for line in live["result"]["lines"]] == ["owner", bo_id]
    status, timeline = a.get(f"/api/replay/{quote(NB)}/timeline")
    assert status == 200, timeline
    assert isinstance(timeline, dict)
    joins = [e["user"] for e in timeline["events"] if e["kind"] == "join"]
    assert sorted(joins) == sorted(["owner", bo_id])  # once each: A records, B does not
