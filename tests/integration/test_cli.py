"""`pairbook serve` as a person runs it: clear errors, skipped broken notebooks, clean stop."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from support.client import RawPeer, YClient
from support.notebooks import read_sources, write_notebook
from support.server import PAIRBOOK, ServerProcess

pytestmark = pytest.mark.integration


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PAIRBOOK), *args], capture_output=True, text=True, timeout=30, check=False
    )


def test_a_state_folder_holding_the_notebooks_is_refused(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb" / "a.ipynb")
    result = run_cli("serve", str(tmp_path / "nb"), "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert "--state-dir" in result.stderr
    assert not (tmp_path / "tokens.json").exists()


def test_the_state_folder_can_live_outside_the_notebooks(tmp_path: Path) -> None:
    root, state = tmp_path / "nb", tmp_path / "state"
    write_notebook(root / "a.ipynb")
    args = ("--state-dir", str(state))
    with ServerProcess(root, store=str(tmp_path / "s.sqlite"), args=args) as server:
        assert (state / "tokens.json").is_file()
        assert not (root / ".pairbook").exists()  # nothing of pairbook's beside the notebooks
        minted = run_cli("token", str(root), "--state-dir", str(state), "--role", "editor")
        assert minted.returncode == 0, minted.stderr
        link = minted.stdout.strip().splitlines()[-1]
        status, body = server.request("POST", "/api/join", {
            "invite": link.rsplit("token=", 1)[1], "name": "Bo",
        }, token=None)  # fmt: skip
        assert status == 201, body
    listed = subprocess.run(
        [str(PAIRBOOK), "people", str(root)], capture_output=True, text=True, timeout=30,
        env={**os.environ, "PAIRBOOK_STATE_DIR": str(state)}, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "Bo" in listed.stdout


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("serve", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", str(tmp_path), "--port", str(port))
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


async def test_a_broken_notebook_is_reported_and_the_rest_are_served(tmp_path: Path) -> None:
    root = tmp_path / "nb"
    write_notebook(root / "good.ipynb")
    (root / "bad.ipynb").write_text('{"cells": 3}')
    with ServerProcess(root, store=str(tmp_path / "s.sqlite")) as server:
        log = server.log()
        assert "skipping bad.ipynb" in log
        assert "serving 1 notebook(s)" in log
        assert "?token=" in log
        async with YClient(server.ws_url("good.ipynb")) as client:
            assert client.source(1) == "x = 1\nprint(x)"
        async with RawPeer(server.ws_url("bad.ipynb")) as peer:
            code, reason = await peer.closed_with()
            assert code == 4404
            assert "bad.ipynb" in reason


async def test_ctrl_c_tells_peers_to_reconnect_and_saves_the_notebook(tmp_path: Path) -> None:
    root = tmp_path / "nb"
    write_notebook(root / "demo.ipynb")
    server = ServerProcess(root, store=str(tmp_path / "s.sqlite"), args=("--autosave-delay", "60"))
    server.start()
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        RawPeer(server.ws_url("demo.ipynb")) as watcher,
    ):
        ana.type_into(1, 0, "# unsaved\n")
        await ana.wait_until(lambda: ana.source(1).startswith("# unsaved"))
        async with YClient(server.ws_url("demo.ipynb")) as check:
            await check.wait_until(lambda: check.source(1).startswith("# unsaved"))
        assert server.stop() == 0
        code, reason = await watcher.closed_with()
    assert code == 1001
    assert "reconnect" in reason
    assert read_sources(root / "demo.ipynb")[1] == "# unsaved\nx = 1\nprint(x)"
    assert "stopped." in server.log()
