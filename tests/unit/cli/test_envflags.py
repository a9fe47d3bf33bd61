"""serve's flags from PAIRBOOK_<FLAG> environment variables (containers, ConfigMaps)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pairbook.app import ownership_for
from pairbook.broker import MemoryBroker
from pairbook.cli import build_parser
from pairbook.cli.envflags import apply_environment
from pairbook.cli.serveflags import settings_from
from pairbook.cluster.forward import MAX_ANSWERING
from pairbook.settings import Settings
from pairbook.statedir import StateDir
from pairbook.store import MemoryStore


def serve_parser() -> argparse.ArgumentParser:
    commands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    parser: argparse.ArgumentParser = commands.choices["serve"]
    return parser


def parse(environ: dict[str, str], *argv: str) -> argparse.Namespace:
    parser = serve_parser()
    apply_environment(parser, environ)
    return parser.parse_args(list(argv))


def test_variables_set_flags_of_every_kind(tmp_path: Path) -> None:
    args = parse({
        "PAIRBOOK_DIR": str(tmp_path),
        "PAIRBOOK_HOST": "0.0.0.0",
        "PAIRBOOK_PORT": "9000",
        "PAIRBOOK_STORE": "memory://",
        "PAIRBOOK_SERVER": "uvicorn",
        "PAIRBOOK_ALLOW_ORIGIN": "https://a.example, https://b.example",
        "PAIRBOOK_KEEP_KERNELS": "yes",
        "PAIRBOOK_TWIN": "false",
        "PAIRBOOK_KERNEL_MEMORY": "4G",
        "PAIRBOOK_ROOM_UNLOAD_DELAY": "5",
    })  # fmt: skip
    settings = settings_from(args, StateDir.of(args.dir), args.port, "none", (None, None), ())
    assert settings.root == tmp_path
    assert (settings.host, settings.port, settings.store_url) == ("0.0.0.0", 9000, "memory://")
    assert settings.server == "uvicorn"
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.keep_kernels is True
    assert settings.twin is False
    assert settings.kernel_memory == 4 << 30
    assert settings.room_unload_delay == 5.0


def test_the_broker_comes_from_its_variable_and_an_empty_one_means_none(tmp_path: Path) -> None:
    def broker_url(environ: dict[str, str]) -> str | None:
        args = parse(environ, str(tmp_path))
        return settings_from(args, StateDir.of(args.dir), 1, "none", (None, None), ()).broker_url

    assert broker_url({"PAIRBOOK_BROKER": "redis://redis:6379/0"}) == "redis://redis:6379/0"
    assert broker_url({"PAIRBOOK_BROKER": ""}) is None
    assert broker_url({}) is None


def test_a_flag_on_the_command_line_wins_over_its_variable(tmp_path: Path) -> None:
    args = parse({"PAIRBOOK_PORT": "9000", "PAIRBOOK_SERVER": "uvicorn"}, str(tmp_path),
                 "--port", "9100")  # fmt: skip
    assert (args.port, args.server) == (9100, "uvicorn")


def test_without_variables_the_defaults_are_unchanged(tmp_path: Path) -> None:
    plain = serve_parser().parse_args([str(tmp_path)])
    assert vars(parse({"PAIRBOOK_UNRELATED": "x"}, str(tmp_path))) == vars(plain)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PAIRBOOK_PORT", "eighty", "PAIRBOOK_PORT='eighty'"),
        ("PAIRBOOK_SERVER", "apache", "choose one of uvicorn, granian"),
        ("PAIRBOOK_KEEP_KERNELS", "maybe", "give true or false"),
        ("PAIRBOOK_KERNEL_MEMORY", "lots", "not a size"),
        ("PAIRBOOK_CULL_IDLE_AFTER", "-1", "positive number of seconds"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(
    name: str, value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse({name: value})
    error = capsys.readouterr().err
    assert name in error
    assert says in error


def test_the_forwarded_commands_cap_is_a_flag_and_a_variable_and_reaches_the_forwarder(
    tmp_path: Path,
) -> None:
    def cap(environ: dict[str, str], *argv: str) -> int:
        args = parse({"PAIRBOOK_BROKER": "redis://127.0.0.1:6379/0", **environ},
                     str(tmp_path), *argv)  # fmt: skip
        settings = settings_from(args, StateDir.of(args.dir), 1, "none", (None, None), ())
        assert Settings.from_json(settings.to_json()) == settings  # it reaches the worker
        ownership = ownership_for(settings, MemoryBroker(), MemoryStore())
        assert ownership is not None
        return ownership.forwarder.max_answering

    assert cap({}) == MAX_ANSWERING == 256
    assert cap({"PAIRBOOK_MAX_FORWARDED": "1000"}) == 1000
    assert cap({"PAIRBOOK_MAX_FORWARDED": "1000"}, "--max-forwarded", "32") == 32
    with pytest.raises(SystemExit):
        parse({}, str(tmp_path), "--max-forwarded", "0")
