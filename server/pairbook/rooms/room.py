"""Room: one notebook's shared document, its peers, and the fan-out between them."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from pycrdt import Doc, get_state, merge_updates

from pairbook.errors import AuthError, HistoryError, PairbookError, ProtocolError
from pairbook.notebook import base_client_ids
from pairbook.notebook.applied import Applied, apply_update
from pairbook.protocol.awareness import encode_awareness_update
from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import (
    AuthMessage,
    AwarenessMessage,
    CommandMessage,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_message,
    encode_awareness,
    encode_command,
    encode_permission_denied,
    encode_sync_step1,
    encode_sync_step2,
    encode_sync_update,
)
from pairbook.protocol.update import (
    EMPTY_UPDATE,
    StructKind,
    UpdateSummary,
    decode_state_vector,
    decode_update,
)
from pairbook.record import EventKind, Recorder
from pairbook.rooms.commands import UNRECORDED_COMMANDS, recorded_arguments
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.decoding import UpdateDecoder
from pairbook.rooms.guard import admit_update, spans_covered
from pairbook.rooms.limits import RoomLimits, check_frame_size
from pairbook.rooms.peer import Peer
from pairbook.rooms.presence import Presence
from pairbook.rooms.protected import ProtectedRanges
from pairbook.schema import is_server_author
from pairbook.store.port import Store
from pairbook.types import SERVER_MAPS, RoomId, UserId

log = logging.getLogger("pairbook.room")

RELAYED_KEPT = 512  # recent relayed updates whose echo is recognised without decoding

PROTECTED_META = "protected_ranges"

VIEWER_PEEK_BYTES = 64 * 1024
"""A viewer's update up to this size is looked into (in Rust) to see whether it holds news;
a larger one is refused as an edit without a look."""

CommandHandler = Callable[[Peer, dict[str, Any]], Awaitable[dict[str, Any]]]
EditGate = Callable[[Peer], str | None]
"""Says why a peer with edit rights may not edit right now (mob mode), or None."""
MemberListener = Callable[[Peer, bool], None]
"""Told when a peer joins (True) or leaves (False) the room."""


class Room:
    """One notebook being edited: the authoritative Doc, its peers and its durable log.

    An update from a peer is validated, applied once, made durable in the log, and the
    same frame is queued for every other live peer. Nothing reaches another peer before
    the store has it, and the log holds only what the document could apply.
    """

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
        self.claims = claims
        self.protected = protected
        self.last_seq = last_seq
        self.counters = counters
        self.limits = limits or RoomLimits()
        self._decoder = decoder or UpdateDecoder(self.limits)
        self.presence = Presence(self.limits)
        # The client id of this history's marker: a document without it is from another.
        self._marker_client = base_client_ids(history_id).pairbook
        self.peers: set[Peer] = set()
        self.changed = asyncio.Event()
        self.last_change = 0.0
        self.inflight = 0
        self._sync_timeout = sync_timeout
        self._clock = clock
        self._state_vector = decode_state_vector(doc.get_state())
        self.command_handler: CommandHandler | None = None
        self.edit_gate: EditGate | None = None
        self.member_listeners: list[MemberListener] = []
        self.author: UserId | None = None  # whose update is being applied (for observers)
        # Yjs client ids whose documents hold an edit the room refused: their later updates
        # would carry it (e.g. a resync after the sender became the driver), so they reload.
        self._refused_clients: set[int] = set()
        self._refused_peers: weakref.WeakSet[Peer] = weakref.WeakSet()
        self.recorder: Recorder | None = None  # set by Rooms; notes joins, presence, commands
        self._version = 0  # bumped on every change to the document
        self._commits: set[asyncio.Task[int]] = set()
        self._deletions: tuple[int, dict[int, tuple[tuple[int, int], ...]]] | None = None
        # Keyed digests of recently relayed updates (a peer cannot aim at a collision).
        self._relayed: OrderedDict[bytes, None] = OrderedDict()
        self._echo_key = secrets.token_bytes(16)
        self.lost: str | None = None  # why the document no longer matches the log
        owner = claims.get(doc.client_id)
        if not is_server_author(owner):
            # Or a peer could write under the server's id: the two would diverge.
            raise ValueError(f"expected the server's client id claimed by pairbook, got {owner}")

    def __repr__(self) -> str:
        return f"Room({self.id!r}, peers={len(self.peers)})"

    @property
    def state_vector(self) -> dict[int, int]:
        return self._state_vector

    # -- joining and leaving -------------------------------------------------------------

    def join(self, peer: Peer) -> None:
        """Add a peer: send it the room's state vector (step 1) and who is present."""
        self.peers.add(peer)
        peer.send(encode_sync_step1(self.doc.get_state()))
        present = self.presence.snapshot()
        if present is not None:
            peer.send(encode_awareness(present))
        for listener in self.member_listeners:
            listener(peer, True)
        if self.recorder is not None:
            user = peer.user
            data = {"name": user.name, "color": user.colour, "role": peer.role.value}
            self.recorder.note(EventKind.JOIN, user.id, data)

    def leave(self, peer: Peer) -> None:
        """Remove a peer and tell the others it has gone."""
        self.peers.discard(peer)
        removed = self.presence.remove(peer)
        if self.recorder is not None:
            clients = [entry.client_id for entry in removed]
            self.recorder.note(EventKind.LEAVE, peer.user.id, {"clients": clients})
        if removed:
            frame = encode_awareness(encode_awareness_update(tuple(removed)))
            self._broadcast(frame, peer, live_only=False)
        for listener in self.member_listeners:
            listener(peer, False)
        self.changed.set()

    # -- incoming frames -----------------------------------------------------------------

    async def receive(self, peer: Peer, frame: bytes) -> None:
        """Handle one frame from a peer. Raises ProtocolError/AuthError/HistoryError/StoreError
        for the connection to be closed with the matching code; the room is unaffected."""
        received = time.perf_counter()
        check_frame_size(frame, self.limits)
        message = decode_message(frame)
        if isinstance(message, SyncUpdate):
            await self._on_update(peer, message.update, frame, received)
        elif isinstance(message, AwarenessMessage):
            self._on_awareness(peer, message)
        elif isinstance(message, SyncStep1):
            self._on_step1(peer, message.state_vector)
        elif isinstance(message, SyncStep2):
            await self._on_update(peer, message.update, None, received)
        elif isinstance(message, QueryAwareness):
            present = self.presence.snapshot()
            if present is not None:
                peer.send(encode_awareness(present))
        elif isinstance(message, CommandMessage):
            peer.speaks_pairbook = True
            peer.send(encode_command(await self._on_command(peer, message.body)))
        elif isinstance(message, AuthMessage):
            raise ProtocolError("clients do not send auth messages")

    def _on_step1(self, peer: Peer, state_vector: bytes) -> None:
        theirs = decode_state_vector(state_vector)
        if self._covers(theirs):
            self._answer_step1(peer, state_vector)
        else:
            # The peer has content we lack: it must come (step 2) and be admitted before we
            # send ours, or a peer from another history would merge ours into duplicates.
            peer.pending_state_vector = state_vector
            peer.sync_deadline = self._clock() + self._sync_timeout

    def _answer_step1(self, peer: Peer, state_vector: bytes) -> None:
        peer.send(encode_sync_step2(self.doc.get_update(state_vector)))
        if not peer.live:
            peer.go_live()

    def _covers(self, theirs: dict[int, int]) -> bool:
        ours = self._state_vector
        return all(clock <= ours.get(client, 0) for client, clock in theirs.items())

    async def _on_update(
        self, peer: Peer, update: bytes, frame: bytes | None, received: float
    ) -> None:
        if self._digest(update) in self._relayed:
            # An echo: pycrdt's provider sends back every update it applies, byte for byte.
            # The room has it already; skip decoding it (a large one costs milliseconds).
            self.counters.echoes += 1
            self._settle_pending(peer)
            return
        if not peer.role.can_edit:
            self._refuse_viewer(peer, update)
            return
        summary = await self._decoder.decode(update)
        self._decoder.check_cells(summary, self._state_vector)
        if self._refused_clients or self._refused_peers:
            self._check_not_refused(peer, summary)
        refusal = None if self.edit_gate is None else self.edit_gate(peer)
        if refusal is not None:
            # A document from another history must reload like anyone's; the peer's own
            # edits are refused, and it still gets the room's state.
            admit_update(summary, self._state_vector, self.claims, peer.user.id, self.protected)
            if self._is_news(summary):
                self.counters.refused_updates += 1
                self._remember_refused(peer, summary)
                peer.send(encode_permission_denied(refusal))
            if peer.pending_state_vector is not None:
                self._answer_step1(peer, peer.pending_state_vector)
            return
        admission = admit_update(
            summary, self._state_vector, self.claims, peer.user.id, self.protected
        )
        touched = self.protected.overlapping(summary.delete_set)
        if touched and not spans_covered(touched, self._server_deletions()):
            raise AuthError("pairbook's own maps are written by the server only")
        if not admission.changes_content and not self._is_news(summary):
            self._settle_pending(peer)
            return  # nothing new: an echo, or a step 2 that repeats what the room has
        for client in admission.claims:
            self.claims[client] = peer.user.id
        # Applied before it is logged: the log holds only what the document could apply
        # (pycrdt cannot read all that yjs writes), so the room always loads from it again.
        self.author = peer.user.id
        try:
            applied = apply_update(self.doc, update)
        finally:
            self.author = None
        if applied.error is not None:
            await self._refuse_unappliable(peer, applied, admission.claims, applied.error)
        self._advance(summary)
        sent = frame if frame is not None else encode_sync_update(update)
        clients = sorted(admission.new_client_ids)
        commit = self._start_commit(update, peer.user.id, clients, sent, peer)
        # The document has the update now: logging and relaying it must finish even if this
        # connection is cancelled meanwhile, or the others would never get what the room holds.
        await asyncio.shield(commit)
        self.counters.updates += 1
        self.counters.update_bytes += len(update)
        self.counters.relay.observe(time.perf_counter() - received)
        self._settle_pending(peer)

    async def _refuse_unappliable(
        self, peer: Peer, applied: Applied, claimed: frozenset[int], error: str
    ) -> None:
        """Refuse an update pycrdt could not apply; what the document took of it before
        failing (if anything) is logged and relayed like any edit, so document, log and
        peers stay in step. Always raises ProtocolError."""
        self.counters.unappliable_updates += 1
        if applied.taken is None:
            for client in claimed:
                self.claims.pop(client, None)
        else:
            before = self._state_vector
            self._state_vector = decode_state_vector(self.doc.get_state())
            self._version += 1
            clients = sorted(c for c, n in self._state_vector.items() if n > before.get(c, 0))
            taken = applied.taken
            frame = encode_sync_update(taken)
            await asyncio.shield(self._start_commit(taken, peer.user.id, clients, frame, peer))
        raise ProtocolError(
            f"the server cannot apply this update ({error}); what it could not read was not "
            "kept. Your client wrote content pycrdt does not read (legacy JSON content, an "
            "XML hook?): reload the notebook"
        )

    def _refuse_viewer(self, peer: Peer, update: bytes) -> None:
        """A viewer's update never enters, so it is refused without being decoded (that would
        cost up to seconds of pure Python). A viewer whose document is from another history
        (its step 1 named content the room lacks and not this history's marker) must reload;
        otherwise its news is refused, and it still gets the room's state."""
        pending = peer.pending_state_vector
        if pending is not None and not self._shares_history(decode_state_vector(pending)):
            raise HistoryError(
                "your copy of the notebook is from another history; reload to get the room's copy"
            )
        if self._viewer_news(update):
            self.counters.refused_updates += 1
            peer.send(encode_permission_denied("viewers cannot edit this notebook"))
        if pending is not None:
            self._answer_step1(peer, pending)

    def _shares_history(self, theirs: dict[int, int]) -> bool:
        ours = self._state_vector.get(self._marker_client, 0)
        return ours == 0 or theirs.get(self._marker_client, 0) >= ours

    def _viewer_news(self, update: bytes) -> bool:
        """Whether a viewer's update holds structs the room lacks (a deletion alone is not
        looked for): a small one is read by pycrdt's Rust decoder, a large one is news."""
        if update == EMPTY_UPDATE:
            return False
        if len(update) > VIEWER_PEEK_BYTES:
            return True
        try:
            theirs = decode_state_vector(get_state(update))
        except ValueError as exc:
            raise ProtocolError(f"the update cannot be read: {exc}") from None
        return not self._covers(theirs)

    def _remember_refused(self, peer: Peer, summary: UpdateSummary) -> None:
        for struct in summary.structs:
            if struct.kind is not StructKind.SKIP and (
                struct.clock + struct.length > self._state_vector.get(struct.client, 0)
            ):
                self._refused_clients.add(struct.client)
        # A refused deletion carries no client id: this connection's later updates are
        # refused too (a stock client keeps the refused state in its document).
        self._refused_peers.add(peer)

    def _check_not_refused(self, peer: Peer, summary: UpdateSummary) -> None:
        refused = self._refused_clients
        carries = peer in self._refused_peers and self._is_news(summary)
        for struct in summary.structs:
            if (
                struct.kind is not StructKind.SKIP
                and struct.client in refused
                and (struct.clock + struct.length > self._state_vector.get(struct.client, 0))
            ):
                carries = True
        if carries:
            raise HistoryError(
                "your copy of the notebook holds an edit the room refused; reload to get the "
                "room's copy"
            )

    def _settle_pending(self, peer: Peer) -> None:
        pending = peer.pending_state_vector
        if pending is not None and self._covers(decode_state_vector(pending)):
            self._answer_step1(peer, pending)

    def _is_news(self, summary: UpdateSummary) -> bool:
        """Whether an update holds anything the room does not have yet."""
        for struct in summary.structs:
            if struct.kind is not StructKind.SKIP and (
                struct.clock + struct.length > self._state_vector.get(struct.client, 0)
            ):
                return True
        return bool(summary.delete_set) and not spans_covered(
            summary.delete_set, self._server_deletions()
        )

    def _server_deletions(self) -> dict[int, tuple[tuple[int, int], ...]]:
        """The room's delete set, recomputed only after the document changed."""
        if self._deletions is None or self._deletions[0] != self._version:
            deleted = decode_update(self.doc.get_update(self.doc.get_state())).delete_set
            self._deletions = (self._version, deleted)
        return self._deletions[1]

    def _advance(self, summary: UpdateSummary) -> None:
        self._version += 1
        sv = self._state_vector
        for struct in summary.structs:
            if struct.kind is not StructKind.SKIP:
                end = struct.clock + struct.length
                if end > sv.get(struct.client, 0):
                    sv[struct.client] = end

    def _on_awareness(self, peer: Peer, message: AwarenessMessage) -> None:
        accepted = self.presence.accept(peer, message.entries)
        if not accepted:
            return
        if accepted == list(message.entries):
            payload = message.payload
        else:
            payload = encode_awareness_update(tuple(accepted))
        self.counters.awareness_updates += 1
        self._broadcast(encode_awareness(payload), peer, live_only=False)
        if self.recorder is not None:
            for entry in accepted:
                self.recorder.note_awareness(peer.user.id, entry.client_id, entry.state)

    async def _on_command(self, peer: Peer, body: dict[str, Any]) -> dict[str, Any]:
        request_id = body.get("id")
        command = body.get("command")
        if command == "whoami":
            result: dict[str, Any] = {
                "user": peer.user.to_json(),
                "role": peer.role.value,
                "room": self.id,
                "history": self.history_id,
            }
            return {"id": request_id, "ok": True, "result": result}
        if command == "presence":
            return {"id": request_id, "ok": True, "result": {"users": self.presence.users()}}
        if self.command_handler is None:
            return {"id": request_id, "ok": False, "error": f"unknown command {command!r}"}
        try:
            result = await self.command_handler(peer, body)
        except (PermissionError, ValueError, LookupError, PairbookError) as exc:
            return {"id": request_id, "ok": False, "error": str(exc)}
        # Only what a command did is recorded: refused and unknown ones would let anyone
        # grow the log at will.
        if self.recorder is not None and command not in UNRECORDED_COMMANDS:
            self.recorder.note(EventKind.COMMAND, peer.user.id, recorded_arguments(body))
        return {"id": request_id, "ok": True, "result": result}

    # -- server-side edits ---------------------------------------------------------------

    async def apply_server_edit(
        self, edit: Callable[[Doc[Any]], None], author: UserId, *, protected: bool = False
    ) -> int | None:
        """Make an edit as the server, log it, then relay it; returns its log seq.

        `protected` edits write pairbook's own maps: their IDs are remembered so that no
        peer can touch them."""
        commit = self.start_server_edit(edit, author, protected=protected)
        # The document already has the edit: logging and relaying it must finish even if
        # the caller is cancelled, or peers would never see what the room holds.
        return None if commit is None else await asyncio.shield(commit)

    def start_server_edit(
        self, edit: Callable[[Doc[Any]], None], author: UserId, *, protected: bool = False
    ) -> asyncio.Task[int] | None:
        """Apply a server edit now; log and relay it in the background, in order with every
        other server edit (the log's queue is first in, first out)."""
        client = self.doc.client_id
        start = self._state_vector.get(client, 0)
        self.author = author
        # The edit's own transaction update, as Yjs clients send theirs: only its structs
        # and its deletions (get_update(state) would carry the whole delete set every time).
        updates: list[bytes] = []
        subscription = self.doc.observe(lambda event: updates.append(event.update))
        try:
            with self.doc.transaction():
                edit(self.doc)
        except BaseException:
            # What the edit wrote before it failed is in the document: it is logged too.
            self.doc.unobserve(subscription)
            self.author = None
            self._commit_server_edit(updates, author, start, protected=protected)
            raise
        self.doc.unobserve(subscription)
        self.author = None
        return self._commit_server_edit(updates, author, start, protected=protected)

    def _commit_server_edit(
        self, updates: list[bytes], author: UserId, start: int, *, protected: bool
    ) -> asyncio.Task[int] | None:
        if not updates:
            return None
        update = updates[-1] if len(updates) == 1 else merge_updates(*updates)
        if update == EMPTY_UPDATE:
            return None
        # Only the server writes with its own client id (claimed for it when the room was
        # built), so the edit's new structs are exactly that id's clocks from `start` on.
        client = self.doc.client_id
        end = decode_state_vector(self.doc.get_state()).get(client, 0)
        if protected:
            if end > start:
                self.protected.add(client, start, end)
            # Logged under SERVER_MAPS, so the ranges can be found again after a restart.
            author = SERVER_MAPS
        self._version += 1
        if end > start:
            self._state_vector[client] = end
        return self._start_commit(update, author, [client], encode_sync_update(update), None)

    async def settle(self) -> None:
        """Wait until every update and server edit applied so far is logged and relayed."""
        if self._commits:
            await asyncio.gather(*list(self._commits), return_exceptions=True)

    def _start_commit(
        self, update: bytes, author: UserId, clients: list[int], frame: bytes, sender: Peer | None
    ) -> asyncio.Task[int]:
        """Log an update the document already holds, then relay it; in the order started
        (the log's queue is first in, first out)."""
        task = asyncio.ensure_future(self._commit(update, author, clients, frame, sender))
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)
        return task

    async def _commit(
        self, update: bytes, author: UserId, clients: list[int], frame: bytes, sender: Peer | None
    ) -> int:
        self.inflight += 1
        try:
            seq = await self.store.append(self.id, update, author, clients)
        except Exception as exc:
            self._lose(f"the server could not save a change ({exc})")
            raise
        finally:
            self.inflight -= 1
        self.last_seq = max(self.last_seq, seq)
        self._broadcast(frame, sender)
        self._remember_relayed(update)
        self._touch()
        return seq

    def _lose(self, reason: str) -> None:
        """The document holds a change the log does not, so it is no longer trusted: every
        peer is closed, and Rooms reloads the room from its log on the next join (clients
        resend what they have, so their edits reach the log then)."""
        if self.lost is not None:
            return
        self.lost = reason
        log.error("room lost its log", extra={"room": self.id, "reason": reason})
        for peer in list(self.peers):
            peer.request_close(CloseCode.INTERNAL_ERROR, f"{reason}; reconnect in a moment")
        self.changed.set()

    def _digest(self, update: bytes) -> bytes:
        return hashlib.blake2b(update, digest_size=16, key=self._echo_key).digest()

    def _remember_relayed(self, update: bytes) -> None:
        relayed = self._relayed
        relayed[self._digest(update)] = None
        if len(relayed) > RELAYED_KEPT:
            relayed.popitem(last=False)

    # -- fan-out -------------------------------------------------------------------------

    def _broadcast(self, frame: bytes, sender: Peer | None, *, live_only: bool = True) -> None:
        """Queue a frame for every other peer; document updates go only to synced peers."""
        sent = 0
        for other in self.peers:
            if other is not sender and (other.live or not live_only):
                other.send(frame)
                sent += 1
        self.counters.relayed_frames += sent

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
        self.last_change = self._clock()
        self.changed.set()

    def expired_syncs(self) -> list[Peer]:
        """Peers that started a sync and never sent what they have."""
        now = self._clock()
        return [p for p in self.peers if p.sync_deadline is not None and p.sync_deadline < now]

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
