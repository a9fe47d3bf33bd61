"""The timeline of a recording: the kinds of its events, the room's `recording` map
(whether it is recorded), and the timeline a player shows (who changed what when, the
events worth a marker, the people it names)."""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pycrdt import Doc, Map

from pairbook.auth import color_for
from pairbook.schema import RECORDING_MAP, SERVER_COLOR, UserRecord, is_server_author
from pairbook.store.records import EventRecord, Stamp


class EventKind(StrEnum):
    """What a timeline event says happened; the document's own changes are the log records."""

    JOIN = "join"
    LEAVE = "leave"
    AWARENESS = "awareness"
    """Who was where (selected cell, cursor), throttled per connection."""
    COMMAND = "command"
    WIDGET = "widget"
    """A widget change the kernel took, with who asked (changes asked meanwhile merge)."""
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


# -- the timeline a player shows ---------------------------------------------------------------

CHAT_COMMAND = "mob-chat"
"""The command whose note is a chat message (the chat itself lives in the `mob` map)."""

TIMELINE_KINDS = tuple(
    k.value
    for k in (
        EventKind.JOIN,
        EventKind.LEAVE,
        EventKind.RUN,
        EventKind.KERNEL,
        EventKind.ROLE,
        EventKind.RECORDING,
        EventKind.RESTORE,
        EventKind.WIDGET,
        EventKind.COMMAND,  # only chat is kept of the commands (`timeline_events`)
    )
)
"""The kinds read for the timeline; presence is too frequent for markers."""


@dataclass(frozen=True, slots=True)
class OffWindow:
    """Records from_seq + 1 .. to_seq were logged while recording was off (to_seq None:
    it still is)."""

    from_seq: int
    to_seq: int | None

    def hides(self, seq: int) -> bool:
        return seq > self.from_seq and (self.to_seq is None or seq <= self.to_seq)


def event_json(event: EventRecord) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "ts": event.ts,
        "kind": event.kind,
        "user": event.user_id,
        "data": json.loads(event.data),
    }


ROLE_COMMANDS = frozenset(
    {"mob-mode", "mob-handover", "mob-take", "mob-consent", "mob-join", "mob-leave", "mob-reorder"}
)
"""Commands whose effect can be a role change: the change is credited to whoever sent one."""


def timeline_events(events: Iterable[EventRecord]) -> list[dict[str, Any]]:
    """The events worth a marker, as JSON. A `mob-chat` command's note becomes a `chat`
    event with its text (as recorded: cut at `RECORDED_STRING` characters); other commands
    are left out (their effects are the log records and the other events).

    A role change is noted (by the document's observer) at the position before its own
    record, and the command that made it is noted after that record: a role change with a
    role command at the next position is credited to its sender (`user`, and `command` in
    its data); one without (a turn that ended, a driver who left) stays the server's ("")."""
    events = list(events)
    causes = {
        event.seq: event
        for event in events
        if event.kind == EventKind.COMMAND.value
        and json.loads(event.data).get("command") in ROLE_COMMANDS
    }
    found: list[dict[str, Any]] = []
    for event in events:
        item = event_json(event)
        if event.kind == EventKind.COMMAND.value:
            if item["data"].get("command") != CHAT_COMMAND:
                continue
            item["kind"] = "chat"
            item["data"] = {"text": str(item["data"].get("text", ""))}
        elif event.kind == EventKind.ROLE.value and not event.user_id:
            cause = causes.get(event.seq + 1)
            if cause is not None:
                item["user"] = cause.user_id
                item["data"]["command"] = json.loads(cause.data)["command"]
        found.append(item)
    return found


def people_in(events: list[dict[str, Any]], authors: Iterable[str]) -> dict[str, UserRecord]:
    """Everyone a timeline names, by id: the authors of changes, the people of its events
    and of its role changes (driver, queue, roles). Named as their join event says, or by
    their id (with their stable color) when the recording holds no join of theirs."""
    people: dict[str, UserRecord] = {}
    for event in events:
        if event["kind"] == EventKind.JOIN.value and event["user"]:
            people[event["user"]] = joined_user(event["user"], event["data"])
    ids = [*authors, *(event["user"] for event in events)]
    for event in events:
        if event["kind"] == EventKind.ROLE.value:
            ids.extend(_role_ids(event["data"]))
    for user_id in ids:
        if user_id and not is_server_author(user_id):
            people.setdefault(user_id, joined_user(user_id, {}))
    return people


def _role_ids(roles: Mapping[str, Any]) -> list[str]:
    driver = roles.get("driver")
    named = [driver] if isinstance(driver, str) else []
    for key in ("queue", "navigators"):
        value = roles.get(key)
        if isinstance(value, list):
            named.extend(str(item) for item in value)
    by_role = roles.get("roles")
    if isinstance(by_role, dict):
        named.extend(str(key) for key in by_role)
    return named


def build_timeline(
    stamps: list[Stamp],
    records: list[EventRecord],
    windows: list[OffWindow],
    bins: int,
) -> dict[str, Any]:
    """Who changed the document when (density per person in `bins` slices of time), the
    events worth a marker (chat included), the off windows and everyone named, with their
    colors; the server's own changes are shown in `server_color`."""
    start = stamps[0].ts if stamps else 0.0
    end = stamps[-1].ts if stamps else 0.0
    width = max(end - start, 1e-9) / bins
    density: dict[str, list[int]] = {}
    for stamp in stamps:
        if is_server_author(stamp.user_id) or any(w.hides(stamp.seq) for w in windows):
            continue
        row = density.setdefault(stamp.user_id, [0] * bins)
        row[min(int((stamp.ts - start) / width), bins - 1)] += 1
    events = timeline_events(records)
    return {
        "start_ts": start,
        "end_ts": end,
        "bins": bins,
        "density": density,
        "people": people_in(events, density),
        "server_color": SERVER_COLOR,
        "events": events,
        "off": [
            {
                "from_seq": w.from_seq,
                "to_seq": w.to_seq,
                "from_ts": _ts_of(stamps, w.from_seq, start),
                "to_ts": end if w.to_seq is None else _ts_of(stamps, w.to_seq, end),
            }
            for w in windows
        ],
    }


def _ts_of(stamps: list[Stamp], seq: int, default: float) -> float:
    at = bisect.bisect_left([s.seq for s in stamps], seq)
    return stamps[at].ts if at < len(stamps) and stamps[at].seq == seq else default
