"""The timeline a player shows: chat from command notes, everyone it names, the server color."""

from __future__ import annotations

import json
from typing import Any

from pairbook.auth import color_for
from pairbook.record.timeline import (
    CHAT_COMMAND,
    ROLE_COMMANDS,
    EventKind,
    OffWindow,
    build_timeline,
)
from pairbook.rooms.services import catalogue
from pairbook.schema import SERVER_COLOR
from pairbook.store.records import EventRecord, Stamp


def event(kind: EventKind, user_id: str, data: dict[str, Any], seq: int = 1) -> EventRecord:
    return EventRecord("r", seq, 1000.0 + seq, kind.value, user_id, json.dumps(data))


STAMPS = [Stamp(1, 1000.0, "pairbook:server"), Stamp(2, 1001.0, "ana"), Stamp(3, 1002.0, "bo")]


def test_a_chat_command_note_is_a_chat_event_and_other_commands_are_left_out() -> None:
    records = [
        event(EventKind.COMMAND, "ana", {"command": "mob-chat", "text": "look at cell 2"}),
        event(EventKind.COMMAND, "ana", {"command": "run", "cells": ["code-0"]}, seq=2),
    ]
    timeline = build_timeline(STAMPS, records, [], bins=2)
    assert [(e["kind"], e["user"], e["data"]) for e in timeline["events"]] == [
        ("chat", "ana", {"text": "look at cell 2"})
    ]


def test_everyone_a_role_change_names_is_among_the_people() -> None:
    records = [
        event(EventKind.JOIN, "ana", {"name": "Ana", "color": "#e6194b"}),
        event(
            EventKind.ROLE,
            "",
            {
                "mode": "mob",
                "driver": "cy",
                "queue": ["ana"],
                "roles": {"cy": "driver", "di": "observer"},
            },
            seq=2,
        ),
    ]
    people = build_timeline(STAMPS, records, [], bins=2)["people"]
    assert people["ana"] == {"id": "ana", "name": "Ana", "color": "#e6194b"}
    assert people["cy"] == {"id": "cy", "name": "cy", "color": color_for("cy")}
    assert set(people) == {"ana", "bo", "cy", "di"}  # bo typed (the stamps)


def test_the_server_is_no_person_but_has_a_color() -> None:
    timeline = build_timeline(STAMPS, [], [], bins=2)
    assert "pairbook:server" not in timeline["people"]
    assert "pairbook:server" not in timeline["density"]
    assert timeline["server_color"] == SERVER_COLOR


def test_changes_made_while_recording_was_off_are_not_in_the_density() -> None:
    timeline = build_timeline(STAMPS, [], [OffWindow(2, 3)], bins=2)
    assert timeline["density"] == {"ana": [0, 1]}
    assert timeline["off"] == [{"from_seq": 2, "to_seq": 3, "from_ts": 1001.0, "to_ts": 1002.0}]


def test_a_role_change_is_credited_to_the_command_noted_just_after_it() -> None:
    handover = {"mode": "mob", "driver": "bo", "queue": ["ana"]}
    records = [
        event(EventKind.ROLE, "", handover, seq=4),
        event(EventKind.COMMAND, "ana", {"command": "mob-handover"}, seq=5),
        event(EventKind.ROLE, "", {**handover, "driver": "ana"}, seq=9),  # a turn ended
        event(EventKind.COMMAND, "bo", {"command": "mob-chat", "text": "hi"}, seq=10),
    ]
    roles = [
        e for e in build_timeline(STAMPS, records, [], bins=2)["events"] if e["kind"] == "role"
    ]
    assert [(e["user"], e["data"].get("command")) for e in roles] == [
        ("ana", "mob-handover"),
        ("", None),
    ]


def test_the_commands_the_timeline_reads_are_commands_the_server_declares() -> None:
    # record/ cannot import mob/ (peers on a layer): the names are held equal here.
    declared = {command["name"] for command in catalogue()["commands"]}
    assert {CHAT_COMMAND, *ROLE_COMMANDS} <= declared
