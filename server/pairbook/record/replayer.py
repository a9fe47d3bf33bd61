"""Replayer: a room's document at any moment of its log, its timeline, and its blame."""

from __future__ import annotations

import asyncio
import base64
import json
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, merge_updates

from pairbook.notebook.applied import Waiting, apply_update
from pairbook.protocol.redact import without_emails
from pairbook.protocol.update import EMPTY_UPDATE
from pairbook.record.blame import Blame, LineBlame
from pairbook.record.blamepoints import advance, blame_before, start_blame
from pairbook.record.checkpoints import pack_checkpoint, unpack_checkpoint, unpack_waiting
from pairbook.record.timeline import (
    TIMELINE_KINDS,
    EventKind,
    OffWindow,
    build_timeline,
    event_json,
    joined_user,
)
from pairbook.schema import UserRecord
from pairbook.store.port import Store
from pairbook.store.records import UpdateRecord

YIELD_EVERY = 500
"""Records applied between two yields to the event loop, so a long replay never stalls it."""

PRESENCE_WINDOW = 5_000
"""How far back (in log records) a moment looks for each person's last presence."""

BLAME_KEEP_EVERY = 10_000
"""Log records between two kept blames, so going back replays at most this many."""


@dataclass(frozen=True, slots=True)
class Moment:
    """The document as it was after record `seq`, and who was where."""

    seq: int
    ts: float
    update: bytes
    presence: list[dict[str, Any]] = field(default_factory=list)
    """The last presence of every connection still there: user, client, state."""

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "update": base64.b64encode(self.update).decode("ascii"),
            "presence": self.presence,
        }


class Replayer:
    """Rebuilds one room's document at any log position from the nearest checkpoint.

    Moments inside a window where recording was off are not shown: asking for one gives
    the moment the window ended (or began, while it is still open).
    """

    def __init__(
        self,
        store: Store,
        room: str,
        *,
        checkpoint_every: int = 1000,
        save_checkpoints: bool,
        blame_keep_every: int = BLAME_KEEP_EVERY,
    ) -> None:
        self.store = store
        self.blame_keep_every = blame_keep_every
        self.room = room
        self.checkpoint_every = checkpoint_every
        self.save_checkpoints = save_checkpoints
        self._blame: Blame | None = None
        self._kept: list[Blame] = []  # copies every BLAME_KEEP_EVERY records, by seq
        self._lock = asyncio.Lock()

    # -- positions -----------------------------------------------------------------------

    async def bounds(self) -> tuple[int, int]:
        """(first, last): the earliest moment that can be rebuilt and the newest record."""
        first = await self.store.records(self.room, 0, limit=1)
        last = await self.store.seq_at(self.room, math.inf)
        return (first[0].seq - 1 if first else 0), last

    async def off_windows(self) -> list[OffWindow]:
        windows: list[OffWindow] = []
        off_at: int | None = None
        for event in await self.store.events(self.room, kinds=[EventKind.RECORDING.value]):
            on = bool(json.loads(event.data).get("on"))
            if not on and off_at is None:
                off_at = event.seq
            elif on and off_at is not None:
                windows.append(OffWindow(off_at, event.seq))
                off_at = None
        if off_at is not None:
            windows.append(OffWindow(off_at, None))
        return windows

    async def visible(self, seq: int) -> int:
        """The moment shown for `seq`: itself, or the edge of the off window hiding it."""
        first, last = await self.bounds()
        seq = max(first, min(seq, last))
        for window in await self.off_windows():
            if window.hides(seq):
                return window.from_seq if window.to_seq is None else window.to_seq
        return seq

    # -- rebuilding ----------------------------------------------------------------------

    async def doc_at(self, seq: int) -> Doc[Any]:
        """A fresh document holding records 1..seq (from the nearest checkpoint)."""
        doc, _ = await self._rebuild(seq)
        return doc

    async def _rebuild(self, seq: int) -> tuple[Doc[Any], Waiting]:
        """The document holding records 1..seq, and the structs that wait in it (those that
        waited in the checkpoint it started from, and of the records applied since)."""
        doc: Doc[Any] = Doc()
        checkpoint = await self.store.checkpoint(self.room, seq)
        at = 0
        held: list[bytes] = []
        if checkpoint is not None:
            doc.apply_update(unpack_checkpoint(checkpoint.snapshot))
            held = Waiting(unpack_waiting(checkpoint.snapshot)).parts()
            at = checkpoint.upto_seq
        applied = 0
        while at < seq:
            records = await self.store.records(self.room, at, limit=min(seq - at, 2000))
            if not records:
                break
            for record in records:
                # A record pycrdt cannot apply is skipped, as the room skips it on load.
                taken = apply_update(doc, record.update).taken
                if taken is not None:
                    held.append(taken)
                at = record.seq
                applied += 1
                if self.save_checkpoints and at % self.checkpoint_every == 0:
                    # A store from before checkpoints (or a room that never reached one): the
                    # next seek here will not replay all of this again.
                    waiting = Waiting.left_by(held, doc.get_state())
                    packed = pack_checkpoint(waiting.encode(doc), waiting=waiting.update)
                    await self.store.save_checkpoint(self.room, packed, at)
                    held = waiting.parts()
                if applied % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            held = Waiting.left_by(held, doc.get_state()).parts()  # a batch's worth at most
        return doc, Waiting.left_by(held, doc.get_state())

    async def moment(self, seq: int, *, emails: bool = True) -> Moment:
        """The document at `seq` (without `emails`, for anyone but the owner, as
        `without_emails` serves it) and who was where."""
        seq = await self.visible(seq)
        doc, waiting = await self._rebuild(seq)
        # With the structs that wait in it: a player goes on from it with the records after.
        update = waiting.encode(doc) if emails else without_emails(waiting.encode(doc))
        stamp = await self.store.records(self.room, seq - 1, limit=1) if seq else []
        ts = stamp[0].ts if stamp else 0.0
        return Moment(seq, ts, update, await self.presence_at(seq))

    async def presence_at(self, seq: int) -> list[dict[str, Any]]:
        kinds = [EventKind.AWARENESS.value, EventKind.LEAVE.value]
        events = await self.store.events(self.room, max(0, seq - PRESENCE_WINDOW), seq, kinds)
        latest: dict[int, dict[str, Any]] = {}
        for event in events:
            data = json.loads(event.data)
            if event.kind == EventKind.LEAVE.value:
                for client in data.get("clients", []):
                    latest.pop(int(client), None)
                continue
            client = int(data.get("client", 0))
            if data.get("state") is None:
                latest.pop(client, None)
            else:
                latest[client] = {"user": event.user_id, "client": client, "state": data["state"]}
        return list(latest.values())

    # -- playing forward -------------------------------------------------------------------

    async def chunk(self, after: int, limit: int, *, emails: bool = True) -> dict[str, Any]:
        """The records after `after` for a player going forward, with the events among them.
        Records logged while recording was off come as one merged update (kind "gap").
        Without `emails` (anyone but the owner) the updates are served `without_emails`."""
        clean = _kept if emails else without_emails
        records = await self.store.records(self.room, after, limit=limit)
        windows = await self.off_windows()
        steps: list[dict[str, Any]] = []
        index = 0
        last = after
        while index < len(records):
            record = records[index]
            window = next((w for w in windows if w.hides(record.seq)), None)
            if window is None:
                steps.append(_step(record, clean))
                last = record.seq
                index += 1
                continue
            end = window.to_seq
            hidden = await self._records_until(window.from_seq, end)
            if end is None:
                break  # still off: nothing after it may be shown
            merged = merge_updates(*(r.update for r in hidden)) if hidden else EMPTY_UPDATE
            steps.append(
                {
                    "seq": end,
                    "ts": hidden[-1].ts if hidden else record.ts,
                    "user": "",
                    "gap": True,
                    "update": base64.b64encode(clean(merged)).decode("ascii"),
                }
            )
            last = end
            while index < len(records) and records[index].seq <= end:
                index += 1
        events = await self.store.events(self.room, after + 1, last) if last > after else []
        return {
            "after": after,
            "last": last,
            "steps": steps,
            "events": [event_json(e) for e in events if e.kind != EventKind.COMMAND.value],
        }

    async def _records_until(self, after: int, end: int | None) -> list[UpdateRecord]:
        if end is None:
            return []
        return await self.store.records(self.room, after, limit=end - after)

    # -- timeline ---------------------------------------------------------------------------

    async def timeline(self, bins: int = 400) -> dict[str, Any]:
        """Who changed the document when, the events worth a marker (chat included), the
        off windows and everyone named, with their colors (`build_timeline`)."""
        first, last = await self.bounds()
        stamps = await self.store.stamps(self.room, first)
        windows = await self.off_windows()
        events = await self.store.events(self.room, first, kinds=TIMELINE_KINDS)
        built = build_timeline(stamps, events, windows, bins)
        return {"room": self.room, "first_seq": first, "last_seq": last, **built}

    async def people(self) -> dict[str, UserRecord]:
        """Everyone who joined the room while it was recorded, by user id."""
        events = await self.store.events(self.room, kinds=[EventKind.JOIN.value])
        return {
            event.user_id: joined_user(event.user_id, json.loads(event.data)) for event in events
        }

    # -- blame --------------------------------------------------------------------------------

    async def blame(self, seq: int, cell_id: str) -> list[LineBlame]:
        """Who wrote each line of a cell at a moment. Replays forward from the last blame
        asked of this replayer when it can (a player going forward), else from the nearest
        kept copy before the moment, else from the start."""
        seq = await self.visible(seq)
        async with self._lock:
            blame = self._blame
            if blame is None or blame.seq > seq:
                blame = await self._blame_before(seq)
            await advance(blame, self.store, self.room, seq, on_record=self._keep)
            self._blame = blame
            lines = blame.lines(cell_id)
        windows = await self.off_windows()  # once, not once per line (a store query each)
        return [await self._hide_time(line, windows) for line in lines]

    @property
    def kept_blames(self) -> list[int]:
        """The moments of the blames kept for going back."""
        return [kept.seq for kept in self._kept]

    def _keep(self, blame: Blame) -> None:
        kept = self._kept[-1].seq if self._kept else 0
        if blame.seq % self.blame_keep_every == 0 and blame.seq > kept:
            self._kept.append(blame.copy())

    async def _blame_before(self, seq: int) -> Blame:
        """The nearest blame before `seq`: a copy kept here, or the one kept with a
        checkpoint (the recorder keeps one with each), else the log's start."""
        first, _ = await self.bounds()
        # Copies from before the kept history (retention) cannot go forward any more.
        self._kept = [kept for kept in self._kept if kept.seq >= first]
        usable = [kept for kept in self._kept if kept.seq <= seq]
        start = usable[-1].seq if usable else first  # a stored blame must be newer than that
        stored = await blame_before(self.store, self.room, seq, start)
        if stored is not None:
            return stored
        if usable:
            return usable[-1].copy()
        return await start_blame(self.store, self.room, first)

    async def _hide_time(self, line: LineBlame, windows: list[OffWindow]) -> LineBlame:
        """A line changed while recording was off tells when the window ended (or began,
        while it is open), not the keystroke's moment."""
        for window in windows:
            if window.hides(line.seq):
                to = window.to_seq if window.to_seq is not None else window.from_seq
                found = await self.store.records(self.room, to - 1, limit=1) if to else []
                ts = found[0].ts if found else 0.0
                return LineBlame(line.line, line.text, line.user_id, to, ts, line.authors)
        return line


def _kept(update: bytes) -> bytes:
    return update


def _step(record: UpdateRecord, clean: Callable[[bytes], bytes]) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "ts": record.ts,
        "user": record.user_id,
        "update": base64.b64encode(clean(record.update)).decode("ascii"),
    }


class Replays:
    """The replayers of a server's rooms, made on first use; the `keep` most recently used
    are kept, with their blame caches (a document each)."""

    def __init__(self, store: Store, *, checkpoint_every: int = 1000, keep: int = 16) -> None:
        self.store = store
        self.checkpoint_every = checkpoint_every
        self.keep = keep
        self._replayers: OrderedDict[str, Replayer] = OrderedDict()

    def get(self, room: str) -> Replayer:
        replayer = self._replayers.pop(room, None)
        if replayer is None:
            replayer = Replayer(
                self.store, room, checkpoint_every=self.checkpoint_every, save_checkpoints=True
            )
        self._replayers[room] = replayer
        while len(self._replayers) > self.keep:
            self._replayers.popitem(last=False)
        return replayer
