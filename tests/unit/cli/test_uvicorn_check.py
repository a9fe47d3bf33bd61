"""`pairbook serve` on a uvicorn without what pairbook's websocket protocol reads stops at
once, saying so, instead of failing (or falling back) at some connection mid-session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from pairbook.app import uvicornws
from pairbook.cli.supervisor import run_server
from pairbook.settings import SETTINGS_ENV, Settings


def test_a_uvicorn_lacking_what_the_protocol_reads_stops_the_server_before_it_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def serve(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("uvicorn started serving")

    monkeypatch.delenv(SETTINGS_ENV, raising=False)  # run_server sets it: undone after
    monkeypatch.setattr(uvicornws, "uvicorn_mismatches", lambda: ["self.queue"])
    monkeypatch.setattr(uvicorn, "run", serve)
    settings = Settings(
        root=tmp_path, state_dir=tmp_path / ".pairbook", store_url="memory://", server="uvicorn"
    )
    assert run_server(settings) == 2
    error = capsys.readouterr().err
    assert "websocket protocol lacks what pairbook relies on (self.queue)" in error
    assert "--server granian" in error
