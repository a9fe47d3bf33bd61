"""A failure nobody expected, in a real server: logged with its room and traceback, answered
with 1011 and a reason, counted; the other rooms and connections go on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.client import RawPeer, YClient
from support.server import ServerProcess

pytestmark = pytest.mark.integration

# Valid JSON, valid UTF-8, and nbformat validates it: a lone surrogate escape in a cell's
# source. The room cannot build its document from it (pycrdt cannot encode the string), with
# a UnicodeEncodeError, not one of pairbook's errors: the accepted websocket used to be
# dropped with no close frame (1006), the failure logged only by uvicorn, with no room.
LONE_SURROGATE = (
    '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code",'
    ' "id": "c1", "metadata": {}, "source": "x = \'\\ud800\'", "outputs": [],'
    ' "execution_count": null}]}'
)


def _log_lines(server: ServerProcess, msg: str) -> list[dict[str, object]]:
    entries = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    return [entry for entry in entries if entry.get("msg") == msg]


async def test_a_room_that_fails_to_open_is_answered_with_1011_and_logged(
    server: ServerProcess, workdir: Path
) -> None:
    (workdir / "hostile.ipynb").write_text(LONE_SURROGATE, encoding="utf-8")
    async with RawPeer(server.ws_url("hostile.ipynb")) as peer:
        code, reason = await peer.closed_with()
    assert code == 1011
    assert "could not open" in reason, reason
    (line,) = _log_lines(server, "room failed to open")
    assert line["room"] == "hostile.ipynb"
    assert line["user"]
    assert "UnicodeEncodeError" in str(line["exc"])
    _, metrics = server.get("/metrics")
    assert 'pairbook_disconnects_total{reason="internal_error"} 1.0' in str(metrics)
    async with YClient(server.ws_url("demo.ipynb")) as other:  # the server goes on
        assert other.cells
