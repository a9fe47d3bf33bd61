"""Room: one notebook's shared document, its peers, and the fan-out between them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pycrdt import Doc

from pairbook.errors import AuthError, HistoryError, StoreError
from pairbook.flag import Flag
from pairbook.notebook import base_client_ids
from pairbook.notebook.applied import Waiting
from pairbook.protocol.awareness import encode_awareness_update
from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import encode_awareness, encode_command, encode_sync_step1
from pairbook.protocol.update import decode_state_vector, decode_update
from pairbook.rooms.asbuilt import AsBuilt
from pairbook.rooms.cellwatch import CellsWatch
from pairbook.rooms.commits import CommitQueue, ServerEdit, capture_edit, server_commit
from pairbook.rooms.core import CoreService
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.decoding import UpdateDecoder
from pairbook.rooms.effects import Broadcast, Commit
from pairbook.rooms.handle import ServiceHooks, member_of
from pairbook.rooms.limits import RoomLimits
from pairbook.rooms.ownership import Ownership
from pairbook.rooms.peer import Peer
from pairbook.rooms.presence import Presence
from pairbook.rooms.protected import ProtectedRanges
from pairbook.rooms.receiver import Receiver
from pairbook.rooms.relay import relay
from pairbook.rooms.structure import CellStructure
from pairbook.rooms.sync import RoomSync, Shared
from pairbook.schema import is_server_author
from pairbook.service import RoomService
from pairbook.store.port import Store
from pairbook.types import RoomId, UserId

if TYPE_CHECKING:
    from pairbook.rooms.feed import RoomFeed

log = logging.getLogger("pairbook.room")

PROTECTED_META = "protected_ranges"
WAITING_META = "waiting_structs"
"""The structs that waited in the document a snapshot was taken of, as base64 ('': none):
the snapshot holds them too, and this says what of it still waits once it is applied."""


class Room:
    """One notebook being edited: the authoritative Doc, its peers and its durable log.

    An update from a peer is validated, applied once, made durable in the log, and the
    same frame is queued for every other live peer. Nothing reaches another peer before
    the store has it, and the log holds only what the document could apply.
    """

    _structure: CellStructure | None = None  # indexed at rest, or at the first peer's update
    _index_tried = False  # whether `index_at_rest` looked since the index was last lost

    def __init__(
        self,
        room_id: RoomId,
        doc: Doc[Any],
        store: Store,
        *,
        history_id: str,
        claims: dict[int, str],
        protected: ProtectedRanges,
        last_seq: int,
        counters: RoomCounters,
        sync_timeout: float,
        limits: RoomLimits | None = None,
        decoder: UpdateDecoder | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = room_id
        self.doc = doc
        self.store = store
        self.history_id = history_id
        self.limits = limits or RoomLimits()
        self.presence = Presence(self.limits)
        self.claims = claims
        self.protected = protected
        self.last_seq = last_seq
        self.counters = counters
        self.peers: set[Peer] = set()
        self.changed = Flag()
        self.answered = Flag()  # a peer has been sent the document (sync step 2)
        self.as_built = AsBuilt(doc)  # answers a peer holding nothing while doc is unchanged
        # The structs pending in the document (an update with a skip in it was applied: by
        # a peer, the feed, or in the log the room loaded from), kept in step with it by the
        # receiver and the feed: an update may then integrate more than its own structs, and
        # snapshots and replay checkpoints are encoded with them (Waiting.encode).
        self.waiting = Waiting()
        self.last_change = 0.0
        self._clock = clock
        self.sync = RoomSync(
            decode_state_vector(doc.get_state()),
            Shared(claims, protected, counters, self._deletions),
            marker_client=base_client_ids(history_id).pairbook,
            sync_timeout=sync_timeout,
        )
        # The services plugged in (the core service first): their commands, hooks and notes.
        self.services = ServiceHooks()
        self.services.attach([CoreService(self)])
        self.author: UserId | None = None  # whose update is being applied (for observers)
        self.cells = CellsWatch(doc, room_id, check_shapes=True)  # the cells' one observer
        self.ownership: Ownership | None = None  # None: this process runs its services
        self.commits = CommitQueue(
            room_id, store, relay=self._relay, lose=self.lose, observe=counters.relay.observe
        )
        self.lost: str | None = None  # why the document no longer matches the log
        self.lost_mismatch = False  # lost to a logged update this process cannot apply
        self.feed: RoomFeed | None = None  # the other processes holding the room (a broker)
        self._receiver = Receiver(self, decoder or UpdateDecoder(self.limits), clock)
        owner = claims.get(doc.client_id)
        if not is_server_author(owner):
            # Or a peer could write under the server's id: the two would diverge.
            raise ValueError(f"expected the server's client id claimed by pairbook, got {owner}")

    def __repr__(self) -> str:
        return f"Room({self.id!r}, peers={len(self.peers)})"

    @property
    def state_vector(self) -> dict[int, int]:
        return self.sync.state_vector

    @property
    def structure(self) -> CellStructure:
        """The document's structural items (`rooms.structure`), indexed at first use."""
        if self._structure is None:
            self._structure = CellStructure.of_update(self.doc.get_update())
        return self._structure

    def restructured(self) -> None:
        """The document took what no summary describes (part of an update): index it anew."""
        self._structure = None
        self._index_tried = False

    def index_at_rest(self, most_bytes: int) -> None:
        """Index the document's structure now, from the room's upkeep, rather than in the
        first peer's update after the room opened (or lost its index): every room's first
        keystroke paid for decoding the whole document there (bench/fanout's many rooms:
        500 rooms' first keystrokes within a quarter of a second). A document larger than
        `most_bytes` encoded is left to its first update, as before: looked at once."""
        if self._structure is not None or self._index_tried:
            return
        self._index_tried = True
        update = self.doc.get_update()
        if len(update) <= most_bytes:
            self._structure = CellStructure.of_update(update)

    def caught_up(
        self, state_vector: dict[int, int], update: bytes, clients: Iterable[int]
    ) -> None:
        """Another process's logged update, written by `clients`, is in the document."""
        self.sync.caught_up(state_vector, update)
        if self._structure is not None:
            self._structure.defer(update, clients)

    def _deletions(self) -> dict[int, tuple[tuple[int, int], ...]]:
        """The document's delete set (the sync machine asks only after it changed). The
        update at the document's own state holds no structs, only the delete set: its cost
        follows the deleted ranges, not the notebook's size (bench/deletions.py)."""
        return decode_update(self.doc.get_update(self.doc.get_state())).delete_set

    # -- joining and leaving -------------------------------------------------------------

    def join(self, peer: Peer) -> None:
        """Add a peer: send it the room's state vector (step 1) and who is present."""
        self.peers.add(peer)
        peer.send(encode_sync_step1(self.doc.get_state()))
        self.send_presence(peer)
        member = member_of(peer)
        self.services.joined(member)
        self.services.note_join(member)
        if self.feed is not None:
            self.feed.signals.changed()  # the owner counts every member, wherever

    def leave(self, peer: Peer) -> None:
        """Remove a peer and tell the others it has gone."""
        self.peers.discard(peer)
        self.sync.leave(peer)
        removed = self.presence.remove(peer)
        member = member_of(peer, [entry.client_id for entry in removed])
        self.services.note_leave(member)
        if removed:
            payload = encode_awareness_update(tuple(removed))
            self.broadcast(Broadcast(encode_awareness(payload), peer, live_only=False))
            if self.feed is not None:
                self.feed.presence_changed(payload)
        self.services.left(member)
        if self.feed is not None:
            self.feed.signals.changed()
        self.changed.set()

    # -- incoming frames -----------------------------------------------------------------

    async def receive(self, peer: Peer, frame: bytes, *, pipelined: bool = False) -> None:
        """Handle one frame from a peer. Raises ProtocolError/AuthError/HistoryError/StoreError
        for the connection to be closed with the matching code; the room is unaffected.

        Returns once an update it carried is logged and relayed; `pipelined` (a connection
        reading its next frame): once it is applied and its commit started, while the room
        has few commits in flight. A commit that fails then loses the room (every peer is
        closed), as it does anyway, instead of raising here."""
        await self._receiver.receive(peer, frame, pipelined=pipelined)

    def attach(self, services: list[RoomService]) -> None:
        """Plug services into the room (after its core service): their commands join the
        room's one command table, their hooks see joins, leaves and edits."""
        self.services.attach(services, () if self.feed is None else self.feed.signals.members())

    # -- server-side edits ---------------------------------------------------------------

    async def apply_server_edit(
        self, edit: ServerEdit, author: UserId, *, protected: bool = False, fence: int | None = None
    ) -> int | None:
        """Make an edit as the server, log it, then relay it; returns its log seq.

        `protected` edits write pairbook's own maps: their IDs are remembered so that no
        peer can touch them. `fence`: the owner lease's token a service's edit is logged
        with (refused, and the room lost, once a later owner fenced the room)."""
        commit = self.start_server_edit(edit, author, protected=protected, fence=fence)
        # The document already has the edit: logging and relaying it must finish even if
        # the caller is cancelled, or peers would never see what the room holds.
        return None if commit is None else await asyncio.shield(commit)

    def start_server_edit(
        self, edit: ServerEdit, author: UserId, *, protected: bool = False, fence: int | None = None
    ) -> asyncio.Future[int] | None:
        """Apply a server edit now; log and relay it in the background, in order with every
        other server edit (the log's queue is first in, first out)."""
        client = self.doc.client_id
        start = self.sync.state_vector.get(client, 0)
        self.author = author
        try:
            update, error = capture_edit(self.doc, edit)
        finally:
            self.author = None
        task = None
        if update is not None:
            made = server_commit(
                self.doc, update, author, start, self.protected, protected=protected, fence=fence
            )
            self.sync.server_edit(client, made.end, update)
            if self._structure is not None:
                self._structure.defer(update, (client,))
            task = self.commits.start(made.commit)
        if error is not None:
            raise error
        return task

    @property
    def inflight(self) -> int:
        """Changes applied but not yet logged."""
        return self.commits.inflight

    async def settle(self) -> None:
        """Wait until every update and server edit applied so far is logged and relayed."""
        await self.commits.settle()

    async def logged_to(self) -> int:
        """Wait for the changes the document holds now to be logged and relayed; the log
        position it then holds (its newest record's seq), which the owner reaches before
        it runs a command forwarded from here. StoreError if a change was not logged."""
        if self.commits.inflight and not await self.commits.landed():
            raise StoreError(f"the room must reload from its log ({self.lost})")
        return self.last_seq if self.feed is None else self.feed.newest

    async def reach(self, seq: int) -> None:
        """Return once the document holds every record up to `seq` (the log position of
        another process's document: see `logged_to`)."""
        if self.feed is not None:
            await self.feed.reach(seq)

    def _relay(self, commit: Commit, seq: int) -> None:
        """A commit is logged: relay it (to the other processes too)."""
        if self.feed is None:
            self.last_seq = max(self.last_seq, seq)
        else:
            self.feed.committed(commit, seq)  # it keeps last_seq: the log's seqs interleave
        self.broadcast(commit.relay)
        self.sync.relayed(commit.update)
        self._touch()

    def relay_remote(self, frame: bytes, *, presence: bool = False) -> None:
        """Relay what another process accepted to every peer of this one: a document update
        (applied by the feed) to the live ones, awareness to all."""
        self.broadcast(Broadcast(frame, None, live_only=not presence))
        if not presence:
            self._touch()

    def send_presence(self, peer: Peer) -> None:
        """Send a peer the awareness of everyone present (here and on other processes)."""
        present = self.presence.full_update()
        if present is not None:
            peer.send(encode_awareness(present))
        remote = None if self.feed is None else self.feed.presence.full_update()
        if remote is not None:
            peer.send(encode_awareness(remote))

    def lose(
        self, reason: str, code: CloseCode = CloseCode.INTERNAL_ERROR, *, mismatch: bool = False
    ) -> None:
        """The document holds a change the log does not, so it is no longer trusted: every
        peer is closed (with `code`), and Rooms reloads the room from its log on the next
        join (clients resend what they have, so their edits reach the log then). `mismatch`:
        lost to a logged update this process cannot apply (bounded: `rooms.mismatch`)."""
        if self.lost is not None:
            return
        self.lost, self.lost_mismatch = reason, mismatch
        log.error("room lost its log", extra={"room": self.id, "reason": reason})
        for peer in list(self.peers):
            peer.request_close(code, f"{reason}; reconnect in a moment")
        self.changed.set()

    # -- fan-out -------------------------------------------------------------------------

    def broadcast(self, broadcast: Broadcast) -> None:
        """Queue a frame for every other peer; document updates go only to synced peers."""
        self.counters.relayed_frames += relay(
            self.peers, broadcast.frame, broadcast.sender, broadcast.live_only
        )

    def notify_peer(self, peer: Peer, event: dict[str, Any]) -> None:
        """Send a pairbook event to one peer (if its client speaks pairbook's commands)."""
        if peer.speaks_pairbook:
            peer.send(encode_command(event))

    def notify(self, event: dict[str, Any]) -> None:
        """Send a pairbook event to the peers that speak pairbook's commands."""
        frame = encode_command(event)
        for peer in self.peers:
            if peer.speaks_pairbook and peer.live:
                peer.send(frame)

    def _touch(self) -> None:
        # The room's life task sees this on its next tick (autosave waits for a quiet
        # spell anyway): waking it for every relayed update cost a wake-up, a timer and a
        # task per update per room.
        self.last_change = self._clock()

    def expired_syncs(self) -> list[Peer]:
        """Peers that started a sync and never sent what they have."""
        return self.sync.expired(self._clock())

    def log_refusal(self, peer: Peer, error: Exception) -> None:
        kind = type(error).__name__
        log.warning(
            "refused frame",
            extra={
                "room": self.id,
                "peer": peer.key,
                "user": peer.user.id,
                "error": kind,
                "reason": str(error),
            },
        )
        if isinstance(error, HistoryError | AuthError):
            self.counters.refused_updates += 1
