"""The room's Check: an editor runs `pairbook check` on the server, everyone sees its progress
and report in the `check` map; viewers cannot, and one check runs at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.client import YClient
from support.server import ServerProcess


@pytest.fixture
def checking_server(
    workdir: Path, store_path: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    envs = tmp_path_factory.getbasetemp() / "room-check-envs"  # shared by this run's tests
    with ServerProcess(workdir, store=store_path, env={"PAIRBOOK_ENV_CACHE": str(envs)}) as srv:
        yield srv


def check_map(client: YClient) -> dict[str, Any]:
    return client.map("check")


async def finished(client: YClient, since: float = 0.0) -> dict[str, Any]:
    def done() -> bool:
        state = check_map(client)
        return state.get("status") == "done" and float(state.get("finished_at") or 0) > since

    await client.wait_until(done, timeout=240)
    return check_map(client)


async def test_an_editor_checks_the_room_and_everyone_sees_the_report(
    checking_server: ServerProcess,
) -> None:
    server = checking_server
    viewer_token, _ = server.join("viewer", "Vi")
    async with (
        YClient(server.ws_url("demo.ipynb")) as owner,
        YClient(server.ws_url("demo.ipynb", viewer_token)) as viewer,
    ):
        refused = await viewer.command("check")
        assert not refused["ok"]
        assert "viewers cannot run a check" in refused["error"]
        started = await owner.command("check")
        assert started["ok"], started
        again = await owner.command("check")
        assert not again["ok"]
        assert "already running" in again["error"]
        await viewer.wait_until(lambda: check_map(viewer).get("status") == "running", 60)
        state = await finished(viewer)
        assert state["verdict"] == "passed", state
        assert state["by"]["id"]
        cells = state["report"]["cells"]
        assert [c["verdict"] for c in cells] == ["passed", "passed"]
        assert state["report"]["requirements_source"] == "none declared"

        # The saved output of the first cell says 1; make the cell print 2 instead.
        await owner.set_source(1, "x = 1\nprint(x + 1)")
        first = float(state["finished_at"])
        assert (await owner.command("check"))["ok"]
        state = await finished(viewer, since=first)
        assert state["verdict"] == "failed"
        bad = state["report"]["cells"][0]
        assert bad["verdict"] == "differs"
        assert "saved '1', got '2'" in bad["detail"]


async def test_a_kernel_run_by_the_check_cannot_read_the_state_folder(
    checking_server: ServerProcess,
) -> None:
    server = checking_server
    async with YClient(server.ws_url("demo.ipynb")) as owner:
        probe = "import pathlib\nprint(sorted(p.name for p in pathlib.Path('.pairbook').iterdir()))"
        await owner.set_source(1, probe)
        assert (await owner.command("check"))["ok"]
        state = await finished(owner)
        cell = state["report"]["cells"][0]
        # Under the sandbox the folder is an empty tmpfs: the check ran and saw nothing.
        assert cell["verdict"] == "differs", cell
        assert "got '[]'" in cell["detail"]
