"""spec/protocol.json is the command table as the server declares it: regenerate it with
`python -m pairbook.rooms.services --write` when a command, message type or close code
changes (the client's tests read the same file)."""

from __future__ import annotations

import json

from pairbook.rooms.services import ROOM_SERVICES, SPEC, catalogue, catalogue_text


def test_the_catalogue_file_is_current() -> None:
    assert SPEC.exists(), "run: python -m pairbook.rooms.services --write"
    assert SPEC.read_text(encoding="utf-8") == catalogue_text(), (
        "spec/protocol.json is stale; run: python -m pairbook.rooms.services --write"
    )


def test_every_command_is_declared_once_with_its_service() -> None:
    commands = catalogue()["commands"]
    names = [c["name"] for c in commands]
    assert len(names) == len(set(names))
    services = {c["service"] for c in commands}
    assert services == {"room", *(spec.name for spec in ROOM_SERVICES)}
    by_name = {c["name"]: c for c in commands}
    assert by_name["whoami"]["recorded"] is False
    assert by_name["run"]["driver_only"] is True
    assert by_name["restore"]["driver_only"] is True
    assert by_name["mob-mode"]["role"] == "owner"
    assert by_name["run"]["args"] == [{"name": "cells", "type": "string[]", "required": True}]


def test_the_catalogue_is_json_with_message_types_and_close_codes() -> None:
    data = json.loads(catalogue_text())
    assert data["message_types"]["command"] == 100
    assert data["close_codes"]["SLOW_CONSUMER"] == 4413
