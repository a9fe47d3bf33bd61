"""docs/hooks/catalogue.py renders spec/protocol.json into docs/protocol.md (sample JSON here,
so the rendering is checked whether or not the spec exists yet)."""

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]

SAMPLE: dict[str, Any] = {
    "commands": [
        {
            "name": "run",
            "service": "kernel",
            "role": "editor",
            "driver_only": True,
            "recorded": True,
            "args": [{"name": "cells", "type": "string[]", "required": True}],
        },
        {
            "name": "kernels",
            "service": "kernel",
            "role": "viewer",
            "driver_only": False,
            "control": True,
            "recorded": False,
            "args": [],
        },
        {
            "name": "blame",
            "service": "recording",
            "role": "viewer",
            "driver_only": False,
            "recorded": False,
            "args": [
                {"name": "cell", "type": "string", "required": True},
                {"name": "seq", "type": "integer", "required": False},
            ],
        },
    ],
    "message_types": {"sync": 0, "awareness": 1, "command": 100},
    "sync_types": {"step1": 0, "step2": 1, "update": 2},
    "document": {
        "maps": {"CELLS": "cells", "MOB_MAP": "mob"},
        "server_author_prefix": "pairbook:",
    },
    "close_codes": [
        {"name": "GOING_AWAY", "code": 1001, "meaning": "server shutting down"},
        {"name": "RELOAD", "code": 4409, "meaning": "reload | resync"},
    ],
}


def load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalogue", ROOT / "docs/hooks/catalogue.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


catalogue = load_hook()


def write(tmp_path: Path, spec: object) -> Path:
    path = tmp_path / "protocol.json"
    path.write_text(json.dumps(spec))
    return path


def test_commands_render_one_table_per_service_with_role_gate_recording_and_args(
    tmp_path: Path,
) -> None:
    markdown = catalogue.render(catalogue.load_spec(write(tmp_path, SAMPLE)))
    assert "### Commands: kernel" in markdown
    assert "### Commands: recording" in markdown
    assert "| `run` | editor | driver only | yes | `cells`: string[] |" in markdown
    assert "| `kernels` | viewer | driver, owner, the run's person | — | — |" in markdown
    assert "| `blame` | viewer | — | — | `cell`: string, `seq`?: integer |" in markdown


def test_message_types_and_close_codes_render_as_tables(tmp_path: Path) -> None:
    markdown = catalogue.render(catalogue.load_spec(write(tmp_path, SAMPLE)))
    assert "### Message types\n\n| name | type |" in markdown
    assert "| `command` | 100 |" in markdown
    assert "### Sync message types\n\n| name | sub-type |" in markdown
    assert "| `step2` | 1 |" in markdown
    assert "### Close code names" in markdown
    assert "| name | code | meaning |" in markdown
    assert "| `RELOAD` | 4409 | reload \\| resync |" in markdown  # a | in a cell is escaped


def test_the_document_maps_render_with_the_server_author_prefix(tmp_path: Path) -> None:
    markdown = catalogue.render(catalogue.load_spec(write(tmp_path, SAMPLE)))
    assert "### Document maps\n\n| constant | map |" in markdown
    assert "| `MOB_MAP` | `mob` |" in markdown
    assert "under `pairbook:` is the server" in markdown


def test_commands_grouped_by_service_in_the_spec_render_alike(tmp_path: Path) -> None:
    grouped = {"commands": {"kernel": [SAMPLE["commands"][0]]}}
    markdown = catalogue.render(catalogue.load_spec(write(tmp_path, grouped)))
    assert "| `run` | editor | driver only | yes | `cells`: string[] |" in markdown


def test_a_missing_spec_says_how_to_write_it(tmp_path: Path) -> None:
    with pytest.raises(catalogue.CatalogueError, match=r"missing .*rooms\.services --write"):
        catalogue.load_spec(tmp_path / "protocol.json")


@pytest.mark.parametrize("text", ["{not json", '{"message_types": {}}', "[]"])
def test_a_spec_of_another_shape_is_refused_clearly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "protocol.json"
    path.write_text(text)
    with pytest.raises(catalogue.CatalogueError, match="rewrite it with"):
        catalogue.load_spec(path)


def test_the_spec_renders_when_the_repository_has_one() -> None:
    """The real spec (once spec/protocol.json exists) renders every command it lists."""
    path = ROOT / catalogue.SPEC
    specs = [catalogue.load_spec(path)] if path.exists() else [SAMPLE]
    for spec in specs:
        markdown = catalogue.render(spec)
        for command in spec["commands"]:
            assert f"| `{command['name']}` |" in markdown


def test_the_protocol_page_carries_the_marker_once() -> None:
    page = (ROOT / "docs" / catalogue.PAGE).read_text(encoding="utf-8")
    assert page.count(catalogue.MARKER) == 1
