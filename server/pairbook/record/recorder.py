"""Recorder: what a live room sees beside its document log, kept as timeline events."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from pycrdt import Doc, Map, Subscription

from pairbook.notebook.applied import Waiting
from pairbook.record.blame import Blame
from pairbook.record.blamepoints import advance, blame_upto
from pairbook.record.checkpoints import pack_checkpoint
from pairbook.record.timeline import ALWAYS_KEPT, EventKind, recording_flag
from pairbook.schema import EXECUTIONS_MAP, KERNEL_MAP, MOB_MAP, RECORDING_MAP
from pairbook.service import OwnerWrite, unfenced
from pairbook.store.port import Store
from pairbook.store.records import EventRecord

log = logging.getLogger("pairbook.recorder")

MOB_ROLE_KEYS = ("mode", "driver", "navigators", "roles", "queue")
"""Keys of the `mob` map whose change is a role change (the rotation timer's are not)."""


class Recorder:
    """Notes a room's events with their time, person and log position, in memory, and
    writes them to the store in batches (`flush`) off the relay path.

    Awareness is throttled: at most one event per connection per `awareness_interval`,
    always ending on the connection's newest state. While the room's `recording` flag is
    off, nothing but the flag's own changes is noted.

    Only the room's owner records it: its writes go through `owner_write` (the room's,
    RoomHandle.owner_write), which has them carry the owner's fencing token.
    """

    def __init__(
        self,
        room: str,
        doc: Doc[Any],
        store: Store,
        position: Callable[[], int],
        *,
        awareness_interval: float = 1.0,
        checkpoint_every: int = 1000,
        clock: Callable[[], float] = time.time,
        owner_write: OwnerWrite = unfenced,
        waiting: Waiting | None = None,
    ) -> None:
        self.room = room
        # The structs pending in `doc` (the room's Room.waiting, kept in step with it): a
        # checkpoint holds them, or a replay from it loses them once they integrate.
        self._waiting = waiting if waiting is not None else Waiting()
        self._owner_write = owner_write
        self.doc = doc
        self.store = store
        self.checkpoint_every = checkpoint_every
        self._position = position
        self._clock = clock
        self._awareness_interval = awareness_interval
        self._pending: list[EventRecord] = []
        self._last_awareness: dict[tuple[str, int], float] = {}
        self._held_awareness: dict[tuple[str, int], EventRecord] = {}
        # pycrdt's events are untyped (Any): their keys/path/delta are read as plain values.
        # Root types are fetched here: observers may read the document, never create roots.
        self._ykernel = doc.get(KERNEL_MAP, type=Map)
        self._ymob = doc.get(MOB_MAP, type=Map)
        self._yrecording = doc.get(RECORDING_MAP, type=Map)
        self._yexecutions = doc.get(EXECUTIONS_MAP, type=Map)
        self._kernel_status: Any = self._ykernel.get("status")
        self._roles = _roles_of(self._ymob)
        self._on = recording_flag(doc)["on"]
        self._subscriptions: list[tuple[Map[Any], Subscription]] = []
        self.last_checkpoint = 0
        # Carried from one checkpoint to the next (a document of its own, made at the first
        # checkpoint: rooms with a short log never have one).
        self._blame: Blame | None = None

    async def start(self) -> None:
        """Pick up where the stored recording ends, and watch the document."""
        seqs = await self.store.checkpoint_seqs(self.room)
        self.last_checkpoint = seqs[-1] if seqs else 0
        self.watch()

    # -- what the room tells it ------------------------------------------------------------

    @property
    def on(self) -> bool:
        return bool(self._on)

    def note(self, kind: EventKind, user_id: str, data: dict[str, Any] | None = None) -> None:
        """Keep an event that happened now, after the room's current log position."""
        if not self._on and kind not in ALWAYS_KEPT:
            return
        self._pending.append(self._event(kind, user_id, data or {}))

    @property
    def holding(self) -> bool:
        """Whether events wait for the next flush (noted, or presence held back)."""
        return bool(self._pending or self._held_awareness)

    def note_awareness(self, user_id: str, client_id: int, state: dict[str, Any] | None) -> None:
        """Keep a connection's presence (None: it left), at most once per interval."""
        if not self._on:
            return
        key = (user_id, client_id)
        event = self._event(EventKind.AWARENESS, user_id, {"client": client_id, "state": state})
        now = self._clock()
        if now - self._last_awareness.get(key, -1e18) >= self._awareness_interval:
            self._last_awareness[key] = now
            self._held_awareness.pop(key, None)
            self._pending.append(event)
        else:
            self._held_awareness[key] = event

    def _event(self, kind: EventKind, user_id: str, data: dict[str, Any]) -> EventRecord:
        text = json.dumps(data, separators=(",", ":"), default=str)
        return EventRecord(self.room, self._position(), self._clock(), kind.value, user_id, text)

    # -- what the document tells it --------------------------------------------------------

    def watch(self) -> None:
        """Note runs, kernel status, role and recording changes as the document gets them."""
        for ymap, callback in (
            (self._yexecutions, self._on_executions),
            (self._ykernel, self._on_kernel),
            (self._ymob, self._on_mob),
            (self._yrecording, self._on_recording),
        ):
            self._subscriptions.append((ymap, ymap.observe(self._guarded(callback))))

    def _guarded(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        # An observer's exception would fail the transaction that fired it (a peer's update
        # or a server edit): the recording must never break the room.
        def observe(event: Any) -> None:
            try:
                callback(event)
            except Exception:
                log.exception("recorder observer failed", extra={"room": self.room})

        return observe

    def unwatch(self) -> None:
        for ymap, subscription in self._subscriptions:
            ymap.unobserve(subscription)
        self._subscriptions.clear()

    def _on_executions(self, event: Any) -> None:
        for execution_id, change in event.keys.items():
            record = change.get("newValue")
            old = change.get("oldValue")
            if not isinstance(record, dict):
                continue
            if isinstance(old, dict) and old.get("status") == record.get("status"):
                continue
            user = record.get("user") or {}
            self.note(
                EventKind.RUN,
                str(user.get("id", "")),
                {
                    "execution": execution_id,
                    "cell": record.get("cell_id"),
                    "status": record.get("status"),
                    "execution_count": record.get("execution_count"),
                },
            )

    def _on_kernel(self, event: Any) -> None:
        change = event.keys.get("status")
        if change is None or change.get("newValue") == self._kernel_status:
            return
        self._kernel_status = change.get("newValue")
        last = self._ykernel.get("last_event")
        by = str(last.get("user", {}).get("id", "")) if isinstance(last, dict) else ""
        self.note(EventKind.KERNEL, by, {"status": self._kernel_status})

    def _on_mob(self, event: Any) -> None:
        roles = _roles_of(self._ymob)
        if roles != self._roles:
            self._roles = roles
            self.note(EventKind.ROLE, "", roles)

    def _on_recording(self, event: Any) -> None:
        state = {key: self._yrecording.get(key) for key in ("on", "by")}
        state["on"] = bool(state["on"] if state["on"] is not None else True)
        if state["on"] != self._on:
            self._on = state["on"]
            self._held_awareness.clear()
            self.note(EventKind.RECORDING, str(state.get("by", "")), {"on": self._on})

    # -- upkeep, from the room's own task ----------------------------------------------------

    async def flush(self, *, held: bool = False) -> int:
        """Write the events noted so far and the presence held back long enough (`held`:
        all of it, for a reader who wants the newest); returns how many."""
        now = self._clock()
        for key, event in list(self._held_awareness.items()):
            if held or now - self._last_awareness.get(key, -1e18) >= self._awareness_interval:
                self._last_awareness[key] = now
                del self._held_awareness[key]
                self._pending.append(event)
        # A connection's last note matters only within the interval: forget older ones, or
        # every client id ever seen would stay here.
        stale = now - self._awareness_interval
        last = self._last_awareness
        for key in [k for k, at in last.items() if at < stale and k not in self._held_awareness]:
            del last[key]
        if not self._pending:
            return 0
        batch, self._pending = self._pending, []
        try:
            await self._owner_write(
                lambda fence: self.store.append_events(self.room, batch, fence=fence)
            )
        except Exception:
            self._pending[:0] = batch  # kept for the next flush
            raise
        return len(batch)

    async def checkpoint(self, last_seq: int) -> bool:
        """Save a replay checkpoint of the document when enough updates went by since the
        last one. The caller makes sure the document holds exactly records 1..last_seq."""
        if last_seq - self.last_checkpoint < self.checkpoint_every:
            return False
        # Now: the document moves on while the blame is made.
        update, waiting = self._waiting.encode(self.doc), self._waiting.update
        blame = await self._blame_at(last_seq)
        packed = pack_checkpoint(update, blame, waiting)
        await self._owner_write(
            lambda fence: self.store.save_checkpoint(self.room, packed, last_seq, fence=fence)
        )
        self.last_checkpoint = last_seq
        return True

    async def _blame_at(self, seq: int) -> bytes | None:
        """Every cell's blame at `seq`, carried forward from the last checkpoint's (None:
        it could not be made; the checkpoint is kept without, and a blame replays more)."""
        try:
            oldest = await self.store.records(self.room, 0, limit=1)
            first = oldest[0].seq - 1 if oldest else seq
            blame = self._blame
            if blame is None or not first <= blame.seq <= seq:
                blame = await blame_upto(self.store, self.room, seq, first)
            else:
                await advance(blame, self.store, self.room, seq)
        except Exception:
            log.exception("blame checkpoint failed", extra={"room": self.room})
            self._blame = None
            return None
        self._blame = blame
        return blame.state() if blame.seq == seq else None


def _roles_of(ymob: Map[Any]) -> dict[str, Any]:
    roles: dict[str, Any] = {}
    for key in MOB_ROLE_KEYS:
        if key in ymob:
            value = ymob[key]
            roles[key] = value.to_py() if hasattr(value, "to_py") else value
    return roles
