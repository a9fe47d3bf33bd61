"""The kinds of timeline events, and the room's `recording` map (whether it is recorded)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pycrdt import Doc, Map

from pairbook.auth import color_for
from pairbook.schema import RECORDING_MAP, UserRecord


class EventKind(StrEnum):
    """What a timeline event says happened; the document's own changes are the log records."""

    JOIN = "join"
    LEAVE = "leave"
    AWARENESS = "awareness"
    """Who was where (selected cell, cursor), throttled per connection."""
    COMMAND = "command"
    RUN = "run"
    """A run's status changed (queued, running, ok, error, ...), from the `executions` map."""
    KERNEL = "kernel"
    """The kernel's status changed, from the `kernel` map."""
    ROLE = "role"
    """The mob roles changed, from the `mob` map."""
    RECORDING = "recording"
    """Recording was turned on or off; always kept, so a gap is never silent."""
    RESTORE = "restore"


ALWAYS_KEPT = frozenset({EventKind.RECORDING})
"""Kinds noted even while recording is off."""


def recording_flag(doc: Doc[Any]) -> dict[str, Any]:
    """The room's recording flag as JSON (a `RecordingRecord`): `{"on": True}` when nobody
    ever turned it off."""
    ymap = doc.get(RECORDING_MAP, type=Map)
    flag = {key: ymap[key] for key in ("on", "by", "at") if key in ymap}
    flag["on"] = bool(flag.get("on", True))
    return flag


def set_recording_flag(doc: Doc[Any], on: bool, user_id: str, at: float) -> None:
    """Write the recording flag (a server edit into pairbook's own map)."""
    ymap = doc.get(RECORDING_MAP, type=Map)
    with doc.transaction():
        ymap["on"] = on
        ymap["by"] = user_id
        ymap["at"] = at


def joined_user(user_id: str, data: Mapping[str, Any]) -> UserRecord:
    """The person a join event names. Events logged before `color` was the one name say
    `colour`: read either, so an old recording keeps its people's colors."""
    color = data.get("color") or data.get("colour") or color_for(user_id)
    return {"id": user_id, "name": str(data.get("name", user_id)), "color": str(color)}
