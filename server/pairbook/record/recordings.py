"""What the store holds of each room's recording, summed up for `pairbook replay list|info`
(and the list of recordings, `GET /api/replay`): span, people, runs, chat, role changes."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pairbook.record.replayer import Replayer
from pairbook.record.timeline import EventKind, timeline_events
from pairbook.schema import is_server_author
from pairbook.store.port import Store


async def describe_recording(store: Store, room: str, *, detailed: bool = False) -> dict[str, Any]:
    """A room's recording: span, people, counts, and whether it is being recorded now."""
    replayer = Replayer(store, room, save_checkpoints=False)
    first, last = await replayer.bounds()
    stamps = await store.stamps(room, first)
    events = await store.events(room, first)
    windows = await replayer.off_windows()
    people = Counter(s.user_id for s in stamps if not is_server_author(s.user_id))
    names = {
        e.user_id: json.loads(e.data).get("name", e.user_id) for e in events if e.kind == "join"
    }
    start = stamps[0].ts if stamps else None
    end = stamps[-1].ts if stamps else None
    summary: dict[str, Any] = {
        "room": room,
        "first_seq": first,
        "last_seq": last,
        "start": start,
        "end": end,
        "updates": len(stamps),
        "people": {user: names.get(user, user) for user in sorted(people)},
        "runs": sum(1 for e in events if e.kind == "run" and '"status":"running"' in e.data),
        "chat": sum(1 for e in timeline_events(events) if e["kind"] == "chat"),
        "role_changes": sum(1 for e in events if e.kind == EventKind.ROLE.value),
        "recording": "off" if windows and windows[-1].to_seq is None else "on",
    }
    if detailed:
        summary["updates_by_person"] = dict(people)
        summary["events"] = dict(Counter(e.kind for e in events))
        summary["checkpoints"] = len(await store.checkpoint_seqs(room))
        summary["off_windows"] = [[w.from_seq, w.to_seq] for w in windows]
        summary["log_bytes"] = sum(len(r.update) for r in await store.records(room, first))
    return summary
