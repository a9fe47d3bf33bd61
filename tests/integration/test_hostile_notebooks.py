"""Notebook files JSON and nbformat accept but the shared document cannot hold (a lone
surrogate escape, nesting thousands of levels deep, an integer beyond 64 bits): every entry
point that reads the file answers as for any invalid notebook, naming the file and what is
wrong, never "the server failed" (1011) or a traceback; the file is left as it was."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from support.client import RawPeer, YClient
from support.server import PAIRBOOK, ServerProcess

pytestmark = pytest.mark.integration


def notebook(source: str, metadata: str = "{}") -> str:
    return (
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": ' + metadata + ', "cells": [{'
        '"cell_type": "code", "id": "c1", "metadata": {}, "source": "' + source + '",'
        ' "outputs": [], "execution_count": null}]}'
    )


HOSTILE = {
    # Valid JSON, valid UTF-8, nbformat-valid: its room failed with UnicodeEncodeError (1011).
    "surrogate.ipynb": (notebook("x = '\\ud800'"), "lone surrogate escape \\ud800"),
    # json.loads raised RecursionError (1011).
    "deep.ipynb": (notebook("x = 1", '{"x": ' + "[" * 5000 + "]" * 5000 + "}"), "levels deep"),
    # pycrdt panicked converting it (OverflowError inside Rust: 1011).
    "huge.ipynb": (notebook("x = 1", '{"x": 123456789012345678901234567890}'), "64"),
}


def _log_lines(server: ServerProcess, msg: str) -> list[dict[str, object]]:
    entries = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    return [entry for entry in entries if entry.get("msg") == msg]


async def test_a_hostile_notebook_is_refused_as_an_invalid_one_everywhere(
    server: ServerProcess, workdir: Path
) -> None:
    for name, (text, _) in HOSTILE.items():
        (workdir / name).write_text(text, encoding="utf-8")
    status, body = server.get("/api/notebooks")
    assert status == 200
    assert isinstance(body, dict)
    listed = {entry["path"]: entry for entry in body["notebooks"]}
    for name, (text, why) in HOSTILE.items():
        async with RawPeer(server.ws_url(name)) as peer:
            code, reason = await peer.closed_with()
        assert code == 4404, (name, reason)
        assert reason.startswith(name), reason
        assert why in listed[name]["error"], listed[name]
        for suffix in ("", "?format=py"):
            status, answer = server.get(f"/api/download/{quote(name)}{suffix}")
            assert status == 404, (name, suffix, answer)
            assert isinstance(answer, dict)
            assert why in answer["error"]
        assert (workdir / name).read_text(encoding="utf-8") == text  # untouched
    assert _log_lines(server, "room failed to open") == []
    _, metrics = server.get("/metrics")
    assert 'reason="internal_error"' not in str(metrics)
    async with YClient(server.ws_url("demo.ipynb")) as other:  # the server goes on
        assert other.cells


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_export_and_check_commands_name_what_is_wrong(tmp_path: Path, name: str) -> None:
    text, why = HOSTILE[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    for args in (("export", str(path)), ("check", str(path), "--env-cache", str(tmp_path))):
        done = subprocess.run(
            [str(PAIRBOOK), *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode != 0, args
        assert why in done.stdout + done.stderr, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
