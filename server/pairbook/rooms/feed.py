"""RoomFeed: one room's document and presence kept in step with the other processes that
hold it, through a `Broker` (the y-redis model: each process appends what it accepted and
relays what the others appended, the same bytes).

Every update the room logs goes out with its log seq; every update another process logged
comes in with its own. The feed knows which seqs the document holds (`LogWindow`): a gap past
its grace, or a broker that reconnected, makes the feed read the log from the store after
`upto` — the store is the source of truth, the broker only the fast path — so nothing is
missed and nothing applied twice. New client ids are claimed on the broker (`BrokerClaims`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pairbook.broker.port import Broker, DocEntry, Entry, PresenceEntry, SignalEntry
from pairbook.errors import AuthError, BrokerError, PairbookError, StoreError
from pairbook.notebook.applied import apply_update
from pairbook.protocol.awareness import decode_awareness_update, encode_awareness_update
from pairbook.protocol.messages import (
    SyncUpdate,
    decode_message,
    encode_awareness,
    encode_sync_update,
)
from pairbook.protocol.update import decode_state_vector, decode_update
from pairbook.rooms.brokerclaims import BrokerClaims
from pairbook.rooms.effects import Commit, Effect, Refuse
from pairbook.rooms.lateness import Lateness
from pairbook.rooms.logwindow import LogWindow
from pairbook.rooms.protected import protect_structs
from pairbook.rooms.remotepresence import RemotePresence
from pairbook.rooms.signals import RoomSignals
from pairbook.store.port import Store
from pairbook.types import SERVER_MAPS, SERVER_USER, RoomId, UserId

if TYPE_CHECKING:
    from pairbook.rooms.filesync import FileSync
    from pairbook.rooms.room import Room

log = logging.getLogger("pairbook.feed")

CATCH_UP_BATCH = 1000
HEAD_CHECK = 2.0
"""Seconds between looks at the log's newest seq: an update a process logged but died before
publishing is read from the log within twice this (plus the gap's grace), not at the next
update. A room that heard of a newer seq since its last look does not look: whatever was
logged before that seq shows as a gap anyway (bench/scale: one query a room every 2 s was a
sixth of a busy process's CPU at 100 rooms)."""
FILES = "files"  # the lease of the process that keeps the room's notebook file
FILES_TTL = 10.0
FILES_RENEW = 3.0


class RoomFeed:
    """A room's subscriber on the broker. Subscribe it before the room loads from the store
    (`Rooms.open` does), then `attach` the room: entries that came meanwhile wait."""

    def __init__(
        self,
        room_id: RoomId,
        broker: Broker,
        store: Store,
        *,
        lateness: Lateness | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.room_id = room_id
        self.broker = broker
        self.store = store
        self.room: Room | None = None
        self.presence = RemotePresence()
        self.signals = RoomSignals(room_id, broker, clock=clock)  # members on other processes
        self._waiting: list[Entry] = []
        self._window = LogWindow(lateness=lateness, clock=clock)
        self._missed = False
        self._claims = BrokerClaims(room_id, broker)
        self._clock = clock
        self.remote_updates = 0
        self.files: FileSync | None = None
        self.files_held = False
        self._files_renewed = float("-inf")
        self._head_checked = float("-inf")
        self._head_known: int | None = None  # the newest seq known at the last look

    # -- the broker's side ---------------------------------------------------------------

    def deliver(self, entries: Sequence[Entry]) -> None:
        room = self.room
        if room is None:
            self._waiting.extend(entries)
            return
        for entry in entries:
            if room.lost is not None:
                return  # the room reloads from the log, which has these updates
            try:
                if isinstance(entry, DocEntry):
                    self._take_update(room, entry)
                elif isinstance(entry, SignalEntry):
                    self.signals.take(entry.payload, entry.origin)
                else:
                    self._take_presence(room, entry)
            except PairbookError as exc:  # bytes another process relayed: not a peer's
                log.error(
                    "unreadable broker entry", extra={"room": self.room_id, "reason": str(exc)}
                )
                self.missed()

    def missed(self) -> None:
        self._missed = True
        if self.room is not None:
            self.room.changed.set()  # the room's life task catches up

    # -- the room's side -----------------------------------------------------------------

    async def hold_files(self) -> bool:
        """Take or renew the lease on the room's notebook file: one process at a time
        writes it and reads outside edits from it. Returns whether this one does."""
        self.files_held = await self.broker.hold(self.room_id, FILES, FILES_TTL)
        self._files_renewed = self._clock()
        return self.files_held

    async def keep_files(self) -> bool:
        """Renew the files lease now; whether this process keeps the file (FileSync asks)."""
        files = self.files
        held = await self.hold_files()
        if files is not None:
            if held and not files.active:
                # Kept elsewhere (or nowhere) until now: compared with what pairbook last
                # saved first; not kept here until the store could say (tried again).
                held = await files.adopt()
            files.active = held
        return held

    async def attach(self, room: Room, files: FileSync | None = None) -> None:
        """The room is loaded (with every record up to its last_seq): take what waited.
        The server's own client id is claimed across processes first. `files` is kept by
        this process while it holds the files lease (see `hold_files`)."""
        self.files = files
        if files is not None:
            files.active, files.still_kept = self.files_held, self.keep_files
        try:
            await self.broker.claim(self.room_id, room.doc.client_id, SERVER_USER)
        except BrokerError as exc:  # a random 32-bit id: its claim in the store will do
            log.warning("broker unreachable", extra={"room": self.room_id, "reason": str(exc)})
        self.room = room
        room.feed = self
        self._window.start(room.last_seq)
        self.signals.attach(room)
        waiting, self._waiting = self._waiting, []
        self.deliver(waiting)

    @property
    def upto(self) -> int:
        """Every record up to this seq is in the document (snapshots cover this far)."""
        return self._window.upto

    @property
    def newest(self) -> int:
        """The newest record the document holds: a command forwarded from here runs on the
        owner once its document holds every record up to it (`reach`)."""
        return self._window.newest

    async def reach(self, seq: int) -> None:
        """Return once the document holds every record up to `seq`: from the broker, or
        read from the log past the gap's grace (its entry late or lost). Raises
        StoreError when the log cannot be read."""
        if self._window.upto < seq:
            try:
                await asyncio.wait_for(self._window.reached(seq), self._window.reach_wait)
            except TimeoutError:
                await self.catch_up()

    def committed(self, commit: Commit, seq: int) -> None:
        """The room logged and relayed one of its own updates: the others get it too."""
        self._hold(seq)
        self.signals.published = max(self.signals.published, seq)
        entry = DocEntry(seq, commit.relay.frame, commit.author, commit.clients)
        self.broker.publish(self.room_id, entry)

    def presence_changed(self, payload: bytes) -> None:
        """The room relayed an awareness update of its own peers: the others get it too."""
        self.broker.publish(self.room_id, PresenceEntry(payload))

    async def admit(self, effects: list[Effect], again: Callable[[], list[Effect]]) -> list[Effect]:
        """The room's decision on a peer's update, made across processes: new client ids
        are claimed everywhere before they write (two processes must never admit two
        people's structs under one id). Refused for content this process lacks, or for a
        client id another process gave someone, the update may come from a page that was
        on another process: the log is read, and `again` decides anew."""
        if await self._claims.admits(effects, self.room):
            return effects
        if await self.catch_up():
            effects = again()
            if await self._claims.admits(effects, self.room):
                return effects
        if any(isinstance(effect, Refuse) for effect in effects):
            return effects
        raise AuthError("a client id of this update belongs to another person; reload")

    def behind(self, now: float) -> bool:
        """Whether the log must be read: entries were missed, or a seq is past its grace."""
        return self._missed or self._window.overdue(now)

    async def upkeep(self, now: float) -> None:
        """Expire other processes' stale presence; catch up from the log when behind."""
        room = self.room
        if room is None:
            return
        if self._missed or now - self._files_renewed >= FILES_RENEW:
            await self.keep_files()  # at once when the broker is back: the file waited
        if now - self._head_checked >= HEAD_CHECK:
            self._head_checked = now
            if self._head_known in (None, self._window.known):  # nothing newer heard of since
                await self._check_head(room)
            self._head_known = self._window.known
        self.signals.upkeep(now)
        removed = self.presence.expire(now)
        if removed:
            room.relay_remote(
                encode_awareness(encode_awareness_update(tuple(removed))), presence=True
            )
        if self.behind(now):
            back = self._missed  # the broker reconnected: the others' members are asked anew
            if back:
                self.signals.announce(hello=True)
            await self.catch_up()
            if back and self._claims.unconfirmed:
                await self._claims.confirm(room)

    async def _check_head(self, room: Room) -> None:
        """Note the log's newest seq: one beyond what the document holds is a gap, read
        from the log once its grace has passed. Not while this room's own changes are
        being logged (their seqs are in the log before they are relayed)."""
        if room.inflight:
            return
        try:
            head = await self.store.seq_at(self.room_id, math.inf)
        except StoreError as exc:  # the next look tries again
            log.warning("log head unreadable", extra={"room": self.room_id, "reason": str(exc)})
            return
        self._window.know(head)

    async def catch_up(self) -> int:
        """Apply every record of the log after `upto` the document lacks; returns how many.
        Raises StoreError when the log cannot be read (the next upkeep tries again)."""
        room = self.room
        if room is None:
            return 0
        missed, self._missed = self._missed, False
        applied = 0
        while True:
            after = self._window.upto
            try:
                records = await self.store.records(self.room_id, after, CATCH_UP_BATCH)
            except StoreError:
                # Not read: still missed (a reconnection's claims are still to confirm).
                self._missed = self._missed or missed
                raise
            if records and records[0].seq != after + 1:
                # Pruned under a snapshot this document does not hold: reload from the log.
                room.lose(f"the log before seq {records[0].seq} was pruned meanwhile")
                return applied
            for record in records:
                if self._window.holds(record.seq):
                    continue
                frame = encode_sync_update(record.update)
                user = UserId(record.user_id)
                if not self._apply(room, record.seq, record.update, frame, user, record.client_ids):
                    return applied  # the room is lost: it reloads from the log
                self._hold(record.seq)
                applied += 1
            if len(records) < CATCH_UP_BATCH:
                break
        if not records:
            self._window.read_to_end()  # a marker ahead of the log: nothing more to read
        if applied:
            log.info(
                "room caught up from the log", extra={"room": self.room_id, "records": applied}
            )
        return applied

    async def close(self) -> None:
        """Stop taking entries; give the files lease up (the room saved its file)."""
        self.broker.unsubscribe(self.room_id, self)
        self.signals.close()
        if self.files_held:
            self.files_held = False
            await self.broker.release(self.room_id, FILES)

    def _take_update(self, room: Room, entry: DocEntry) -> None:
        seq = entry.seq
        if entry.frame:
            self._window.arrived(seq)  # late behind a seq logged after it: the grace grows
        if self._window.holds(seq):
            return  # the document has it (loaded from the log, or caught up)
        if not entry.frame:  # a marker: the update is in the log, not in the entry
            self._window.know(seq)
            return
        message = decode_message(entry.frame)
        if not isinstance(message, SyncUpdate):
            raise PairbookError(f"expected a sync update frame, got {type(message).__name__}")
        user = UserId(entry.user_id)
        if not self._apply(room, seq, message.update, entry.frame, user, entry.client_ids):
            return  # the room is lost: it reloads from the log
        self.remote_updates += 1
        self._hold(seq)

    def _apply(
        self,
        room: Room,
        seq: int,
        update: bytes,
        frame: bytes,
        author: UserId,
        clients: tuple[int, ...],
    ) -> bool:
        """Apply an update another process accepted and logged (as its author, for the
        services' observers) and relay its frame to this process's live peers. False when
        this document could not apply it whole: the room is lost then (see below)."""
        room.author = author
        try:
            applied = apply_update(room.doc, update)
        finally:
            room.author = None
        if applied.error is not None:
            # The logging process's pycrdt applied it whole (the log holds only what a
            # document took), this one's did not: another pycrdt (a rolling upgrade), or a
            # document that differs. Held anyway, the seq would be taken as in the document:
            # a snapshot taken here would cover it without the update (the log pruned under
            # it, the update gone) and the file would be saved without it. Neither held nor
            # relayed: the room reloads from the log (which skips what it cannot apply).
            log.error(
                "a logged update cannot be applied",
                extra={"room": self.room_id, "seq": seq, "reason": applied.error},
            )
            room.lose(
                f"the logged update {seq} cannot be applied on this server process",
                mismatch=True,
            )
            return False
        for client in clients:
            room.claims.setdefault(client, author)
        if author == SERVER_MAPS:  # pairbook's own maps: no peer may touch these items
            protect_structs(room.protected, decode_update(update))
        state = room.doc.get_state()
        # Structs of it may wait in the document (another process admitted an update with a
        # skip), and it may integrate some that waited (Room.waiting).
        room.waiting.took(update, state)
        room.caught_up(decode_state_vector(state), update, clients)
        room.relay_remote(frame)
        return True

    def _take_presence(self, room: Room, entry: PresenceEntry) -> None:
        entries = decode_awareness_update(entry.payload)
        # A client id a connection of this process speaks for is not another's to show.
        theirs = tuple(e for e in entries if not room.presence.shows(e.client_id))
        accepted = self.presence.accept(theirs, self._clock())
        if accepted:
            payload = entry.payload if len(theirs) == len(entries) else None
            payload = payload or encode_awareness_update(tuple(accepted))
            room.relay_remote(encode_awareness(payload), presence=True)

    def _hold(self, seq: int) -> None:
        """The document holds record `seq`."""
        self._window.hold(seq)
        if self.room is not None:
            self.room.last_seq = self._window.upto
            self.signals.caught_up(self._window.upto)


async def subscribe_feed(
    broker: Broker | None,
    store: Store,
    room_id: RoomId,
    *,
    lateness: Lateness | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RoomFeed | None:
    """With a broker, a room's feed, subscribed before the room loads from the log: what other
    processes log from then on reaches it (and the files lease tried). None without one."""
    if broker is None:
        return None
    feed = RoomFeed(room_id, broker, store, lateness=lateness, clock=clock)
    await broker.subscribe(room_id, feed)
    await feed.hold_files()
    return feed


def snapshot_lock(room: Room) -> contextlib.AbstractAsyncContextManager[bool]:
    """One process at a time snapshots a room (any may: it holds every record to last_seq)."""
    if room.feed is None:
        return contextlib.nullcontext(True)
    return room.feed.broker.lock(room.id, "snapshot")
