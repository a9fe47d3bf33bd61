"""Exporting a recorded session as JSON lines (format `pairbook-replay/1`).

One JSON object per line, in log order:

- `{"type": "header", "format": "pairbook-replay/1", "room", "first_seq", "last_seq",
  "exported_at", "claims": {client id: user id}}` — first line, once.
- `{"type": "checkpoint", "seq", "update"}` — only when older records were removed by
  retention: the document at `seq`, where the export starts.
- `{"type": "update", "seq", "ts", "user", "clients", "update"}` — one logged Yjs update
  (base64 of the v1 update bytes), its author and the client ids it wrote with.
- `{"type": "gap", "from_seq", "to_seq", "update"}` — records logged while recording was off,
  merged into one update: the net change, without the keystrokes, times or authors.
- `{"type": "event", "seq", "ts", "kind", "user", "data"}` — a timeline event (join, leave,
  awareness, command, run, kernel, role, recording, restore) that happened after record `seq`.

Applying every `checkpoint`, `update` and `gap` in order to an empty Yjs document rebuilds
the notebook as it was at the end.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from pycrdt import merge_updates

from pairbook.protocol.redact import without_emails
from pairbook.record.checkpoints import unpack_checkpoint
from pairbook.record.replayer import Replayer
from pairbook.store.port import Store
from pairbook.store.records import EventRecord, UpdateRecord

FORMAT = "pairbook-replay/1"
PAGE = 2000


async def export_lines(
    replayer: Replayer, claims: dict[int, str] | None = None, *, emails: bool = True
) -> AsyncIterator[str]:
    """The session as JSON lines (without newlines), streamed page by page. Without
    `emails` (anyone but the owner) every update is served `without_emails`."""
    store, room = replayer.store, replayer.room
    clean = _kept if emails else without_emails
    first, last = await replayer.bounds()
    windows = await replayer.off_windows()
    yield _line(_header(room, first, last, claims or {}))
    if first > 0:
        checkpoint = await store.checkpoint(room, first)
        if checkpoint is not None:
            update = _b64(clean(unpack_checkpoint(checkpoint.snapshot)))
            yield _line({"type": "checkpoint", "seq": checkpoint.upto_seq, "update": update})
    events = await store.events(room, first)
    event_at = 0
    at = first
    hidden: list[bytes] = []
    hidden_from = 0
    async for record in _records(store, room, first, last):
        while event_at < len(events) and events[event_at].seq < record.seq:
            yield _line(_event(events[event_at]))
            event_at += 1
        at = record.seq
        if any(w.hides(record.seq) for w in windows):
            if not hidden:
                hidden_from = record.seq - 1
            hidden.append(record.update)
            continue
        if hidden:
            yield _gap(hidden_from, record.seq - 1, hidden, clean)
            hidden = []
        yield _line(_update(record, clean))
    if hidden:
        yield _gap(hidden_from, at, hidden, clean)
    for event in events[event_at:]:
        yield _line(_event(event))


async def _records(store: Store, room: str, first: int, last: int) -> AsyncIterator[UpdateRecord]:
    """The room's records after `first` up to `last`, read a page at a time."""
    at = first
    while at < last:
        records = await store.records(room, at, limit=PAGE)
        if not records:
            return
        for record in records:
            yield record
        at = records[-1].seq


def _header(room: str, first: int, last: int, claims: dict[int, str]) -> dict[str, Any]:
    exported = {str(client): user for client, user in claims.items()}
    return dict(
        type="header", format=FORMAT, room=room, first_seq=first, last_seq=last,
        exported_at=time.time(), claims=exported,
    )  # fmt: skip


def _kept(update: bytes) -> bytes:
    return update


def _update(record: UpdateRecord, clean: Callable[[bytes], bytes]) -> dict[str, Any]:
    return {
        "type": "update",
        "seq": record.seq,
        "ts": record.ts,
        "user": record.user_id,
        "clients": list(record.client_ids),
        "update": _b64(clean(record.update)),
    }


def _gap(from_seq: int, to_seq: int, updates: list[bytes], clean: Callable[[bytes], bytes]) -> str:
    merged = clean(merge_updates(*updates))
    return _line({"type": "gap", "from_seq": from_seq, "to_seq": to_seq, "update": _b64(merged)})


def _event(event: EventRecord) -> dict[str, Any]:
    return dict(
        type="event", seq=event.seq, ts=event.ts, kind=event.kind, user=event.user_id,
        data=json.loads(event.data),
    )  # fmt: skip


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))
