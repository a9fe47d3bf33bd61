"""The `pairbook` parser: every sub-command, serve's flags into Settings, sizes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pairbook.cli import build_parser, main
from pairbook.cli.serveflags import parse_size, settings_from
from pairbook.settings import Settings
from pairbook.statedir import StateDir


def test_every_command_is_declared() -> None:
    parser = build_parser()
    commands = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    assert list(commands.choices) == [
        "serve", "requirements", "commit", "replay", "token", "people", "revoke", "check",
        "export", "twin",
    ]  # fmt: skip


def test_serve_defaults_make_the_default_settings(tmp_path: Path) -> None:
    args = build_parser().parse_args(["serve", str(tmp_path)])
    state = StateDir.of(tmp_path)
    settings = settings_from(args, state, 8888, "none", (None, None), ("digest",))
    assert settings.root == tmp_path
    assert settings.state_dir == tmp_path / ".pairbook"
    assert settings.store_url == str(tmp_path / ".pairbook" / "pairbook.sqlite")
    assert (settings.host, settings.port, settings.server) == ("127.0.0.1", 8888, "uvicorn")
    assert settings.owner_token_hashes == ("digest",)
    assert settings.message_burst == 2000  # five seconds of --max-rate 400
    assert settings.kernel_state is True
    assert settings.cull_idle_after is None  # kernels live on while idle


def test_cull_idle_after_is_a_positive_number_of_seconds_that_survives_the_worker_handover(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(["serve", str(tmp_path), "--cull-idle-after", "3600"])
    settings = settings_from(args, StateDir.of(tmp_path), 1, "none", (None, None), ())
    assert settings.cull_idle_after == 3600.0
    assert Settings.from_json(settings.to_json()).cull_idle_after == 3600.0
    for bad in ("0", "-5", "soon"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["serve", str(tmp_path), "--cull-idle-after", bad])
    assert "seconds" in capsys.readouterr().err


def test_serve_flags_reach_the_settings(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["serve", str(tmp_path), "--store", "memory://", "--server", "granian",
         "--allow-origin", "https://a.example", "--allow-origin", "https://b.example",
         "--no-kernel-state", "--max-rate", "4", "--kernel-memory", "4G",
         "--record-retention", "2"]
    )  # fmt: skip
    settings = settings_from(args, StateDir.of(tmp_path), 1234, "bwrap", ("Ada", "a@b.c"), ())
    assert settings.store_url == "memory://"
    assert settings.server == "granian"
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.kernel_state is False
    assert settings.message_burst == 50  # never under 50
    assert settings.kernel_memory == 4 << 30
    assert settings.record_retention_days == 2.0
    assert (settings.owner_name, settings.owner_email) == ("Ada", "a@b.c")
    assert settings.kernel_sandbox == "bwrap"


def test_the_store_comes_from_the_environment_unless_the_flag_names_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://pairbook@db:5432/pairbook"
    monkeypatch.setenv("PAIRBOOK_STORE", url)
    args = build_parser().parse_args(["serve", str(tmp_path)])
    assert settings_from(args, StateDir.of(tmp_path), 1, "none", (None, None), ()).store_url == url
    args = build_parser().parse_args(["serve", str(tmp_path), "--store", "memory://"])
    assert args.store == "memory://"
    monkeypatch.setenv("PAIRBOOK_STORE", "")
    args = build_parser().parse_args(["serve", str(tmp_path)])
    settings = settings_from(args, StateDir.of(tmp_path), 1, "none", (None, None), ())
    assert settings.store_url == str(tmp_path / ".pairbook" / "pairbook.sqlite")


@pytest.mark.parametrize(
    ("text", "size"), [("512M", 512 << 20), ("4g", 4 << 30), ("1kb", 1024), ("100", 100)]
)
def test_sizes_are_read_with_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["0", "-1M", "lots", "4X"])
def test_a_bad_size_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size(text)


def test_replay_export_takes_a_moment() -> None:
    args = build_parser().parse_args(
        ["replay", "export", "a.ipynb", "--dir", "/srv", "--notebook-at", "12"]
    )
    assert (args.action, args.notebook, args.dir, args.notebook_at) == (
        "export", "a.ipynb", Path("/srv"), "12",
    )  # fmt: skip


def test_access_commands_take_the_served_folder() -> None:
    args = build_parser().parse_args(["revoke", "/srv", "u-1"])
    assert (args.command, args.dir, args.id) == ("revoke", Path("/srv"), "u-1")


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fly"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_people_in_a_folder_pairbook_never_served(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["people", str(tmp_path)]) == 2
    assert "has no .pairbook/tokens.json" in capsys.readouterr().err


def test_the_room_unload_delay_keeps_its_old_name_as_an_alias(tmp_path: Path) -> None:
    for flag in ("--room-unload-delay", "--room-grace"):
        args = build_parser().parse_args(["serve", str(tmp_path), flag, "7.5"])
        settings = settings_from(args, StateDir.of(tmp_path), 1, "none", (None, None), ())
        assert settings.room_unload_delay == 7.5
