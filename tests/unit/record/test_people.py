"""The people of a recording: one user shape ({id, name, color}), old join events included."""

from __future__ import annotations

import json
from typing import Any

from pairbook.auth import color_for
from pairbook.record import EventKind, Replayer
from pairbook.record.timeline import joined_user
from pairbook.store import MemoryStore
from pairbook.store.records import EventRecord


def join(user_id: str, data: dict[str, Any], seq: int = 0) -> EventRecord:
    return EventRecord("r", seq, 1000.0 + seq, EventKind.JOIN.value, user_id, json.dumps(data))


def test_a_join_event_names_a_person_by_id_name_and_color() -> None:
    data = {"name": "Ana", "color": "#e6194b", "role": "editor"}
    assert joined_user("ana", data) == {"id": "ana", "name": "Ana", "color": "#e6194b"}


def test_a_join_event_logged_with_colour_still_gives_the_color() -> None:
    old = {"name": "Ana", "colour": "#3cb44b", "role": "editor"}
    assert joined_user("ana", old) == {"id": "ana", "name": "Ana", "color": "#3cb44b"}


def test_a_join_event_without_a_color_gets_the_users_stable_color() -> None:
    assert joined_user("bo", {}) == {"id": "bo", "name": "bo", "color": color_for("bo")}


async def test_an_old_recording_loads_its_people_with_color() -> None:
    async with MemoryStore() as store:
        await store.append_events(
            "r",
            [
                join("ana", {"name": "Ana", "colour": "#3cb44b", "role": "owner"}),
                join("bo", {"name": "Bo", "color": "#4363d8", "role": "editor"}, seq=1),
            ],
        )
        replayer = Replayer(store, "r", save_checkpoints=False)
        assert await replayer.people() == {
            "ana": {"id": "ana", "name": "Ana", "color": "#3cb44b"},
            "bo": {"id": "bo", "name": "Bo", "color": "#4363d8"},
        }
        timeline = await replayer.timeline(bins=4)
        assert timeline["people"]["ana"] == {"id": "ana", "name": "Ana", "color": "#3cb44b"}
