"""The room's sync and admission state machine, without I/O: decoded messages and a clock
value in, effects (`rooms.effects`) out, as python-websockets' `Protocol` does for its
connections. `rooms.room` is the shell that reads frames, decodes updates, applies them to
the pycrdt document, logs them and executes the effects.

What it decides:
- step 1: a peer whose state the room covers is answered at once (step 2); one that holds
  content the room lacks is pending until that content arrives (its step 2) and is admitted,
  or a peer from another history would merge the room's content into duplicates. A pending
  peer has until its sync deadline.
- updates: echoes of what the room relayed are recognised without decoding; a viewer's
  update is refused without decoding; an editor's is admitted by the guard, refused while
  the edit gate (mob mode) says so, or skipped when it holds nothing new.
- refused client ids: a document that holds a refused edit must reload before it writes on.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pycrdt import get_state

from pairbook.errors import AuthError, HistoryError, PairbookError, ProtocolError
from pairbook.protocol.messages import (
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    encode_permission_denied,
    encode_sync_update,
)
from pairbook.protocol.update import EMPTY_UPDATE, StructKind, UpdateSummary, decode_state_vector
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.deleted import KnownDeletions
from pairbook.rooms.echoes import Echoes
from pairbook.rooms.effects import Answer, Apply, Broadcast, Commit, Effect, Refuse, Send
from pairbook.rooms.guard import admit_update
from pairbook.rooms.protected import ProtectedRanges

if TYPE_CHECKING:
    from pairbook.rooms.peer import Peer

VIEWER_PEEK_BYTES = 64 * 1024
"""A viewer's update up to this size is looked into (in Rust) to see whether it holds news;
a larger one is refused as an edit without a look."""

DeleteSet = dict[int, tuple[tuple[int, int], ...]]

REFUSED_EDIT = (
    "your copy of the notebook holds an edit the room refused; reload to get the room's copy"
)


@dataclass(frozen=True, slots=True)
class Pending:
    """A peer's step 1 naming content the room lacks: answered once the room covers it."""

    state_vector: bytes
    theirs: dict[int, int]
    deadline: float


@dataclass(frozen=True, slots=True)
class Shared:
    """What the machine shares with its room: the client-id claims and the protected ranges
    (updated as updates are admitted), the counters, and how to read the document's whole
    delete set (rooms/deleted.py keeps it up to date from there)."""

    claims: dict[int, str]
    protected: ProtectedRanges
    counters: RoomCounters
    deletions: Callable[[], DeleteSet]


class RoomSync:
    """One room's sync and admission state: its state vector, pending peers, refused client
    ids and echo digests. `marker_client` is the client id of this history's marker: a
    document without it is from another history."""

    def __init__(
        self,
        state_vector: dict[int, int],
        room: Shared,
        *,
        marker_client: int,
        sync_timeout: float,
        echoes: Echoes | None = None,
    ) -> None:
        self._state_vector = state_vector
        self._room = room
        self._counters = room.counters
        self._marker_client = marker_client
        self._sync_timeout = sync_timeout
        self._echoes = echoes or Echoes()
        self._deleted = KnownDeletions(room.deletions)
        self._pending: dict[Peer, Pending] = {}
        # Yjs client ids whose documents hold an edit the room refused: their later updates
        # would carry it (e.g. a resync after the sender became the driver), so they reload.
        self._refused_clients: set[int] = set()
        self._refused_peers: weakref.WeakSet[Peer] | None = None  # made at the first refusal
        self._refused_deletions = ProtectedRanges()  # of updates refused after being applied

    @property
    def state_vector(self) -> dict[int, int]:
        return self._state_vector

    def pending(self, peer: Peer) -> Pending | None:
        return self._pending.get(peer)

    # -- step 1 and the sync deadline ----------------------------------------------------

    def step1(self, peer: Peer, message: SyncStep1, now: float) -> list[Effect]:
        """A peer's state vector: answer it, or wait for what it has that the room lacks."""
        try:
            theirs = decode_state_vector(message.state_vector)
        except PairbookError as error:
            return [Refuse(peer, error)]
        if self.covers(theirs):
            return [self._answer(peer, message.state_vector)]
        self._pending[peer] = Pending(message.state_vector, theirs, now + self._sync_timeout)
        return []

    def expired(self, now: float) -> list[Peer]:
        """Peers that started a sync and never sent what they have."""
        return [peer for peer, pending in self._pending.items() if pending.deadline < now]

    def leave(self, peer: Peer) -> None:
        self._pending.pop(peer, None)

    def _answer(self, peer: Peer, state_vector: bytes) -> Answer:
        self._pending.pop(peer, None)
        return Answer(peer, state_vector)

    def _settle(self, peer: Peer) -> list[Effect]:
        """Answer the peer's pending step 1 if the room now has everything it named."""
        pending = self._pending.get(peer)
        if pending is not None and self.covers(pending.theirs):
            return [self._answer(peer, pending.state_vector)]
        return []

    def _answer_pending(self, peer: Peer) -> list[Effect]:
        pending = self._pending.get(peer)
        return [] if pending is None else [self._answer(peer, pending.state_vector)]

    # -- updates -------------------------------------------------------------------------

    def screen(self, peer: Peer, message: SyncUpdate | SyncStep2) -> list[Effect] | None:
        """What to do with an update before it is decoded, or None when it must be decoded
        and passed to `update`: an echo is skipped, a viewer's update refused."""
        if message.update in self._echoes:
            # The room has it already; skip decoding it (a large one costs milliseconds).
            self._counters.echoes += 1
            return self._settle(peer)
        if not peer.role.can_edit:
            try:
                return self._refuse_viewer(peer, message.update)
            except PairbookError as error:
                return [Refuse(peer, error)]
        return None

    def update(
        self,
        peer: Peer,
        message: SyncUpdate | SyncStep2,
        summary: UpdateSummary,
        *,
        frame: bytes | None,
        refusal: str | None,
    ) -> list[Effect]:
        """An editor's decoded update. `frame` is the frame it came in (relayed as is) or
        None for a step 2; `refusal` is why the peer may not edit right now (mob mode)."""
        try:
            return self._admit(peer, message.update, summary, frame, refusal)
        except PairbookError as error:
            return [Refuse(peer, error)]

    def _admit(
        self,
        peer: Peer,
        update: bytes,
        summary: UpdateSummary,
        frame: bytes | None,
        refusal: str | None,
    ) -> list[Effect]:
        # While the edit gate is shut what a refused document sends is refused again the
        # same way, not closed on: a page whose typing reached the room after a handover
        # re-sends it as it resyncs, and stays connected to offer it to the new driver.
        trial = False
        if refusal is None and (
            self._refused_clients or self._refused_peers or self._refused_deletions
        ):
            trial = self._check_not_refused(peer, summary)
        # Checked even when the edit is refused: a document from another history must
        # reload like anyone's.
        admission = admit_update(
            summary, self._state_vector, self._room.claims, peer.user.id, self._room.protected
        )
        if refusal is not None:
            return self._refuse_edit(peer, summary, refusal)
        touched = self._room.protected.overlapping(summary.delete_set)
        if touched and not self._deleted.covers(touched, exact=True):
            raise AuthError("pairbook's own maps are written by the server only")
        # A live update's few deletions (a backspace) need not be exact; a step 2 must be.
        news_exactly = True if frame is None else None
        if not admission.changes_content and not self.is_news(summary, exact=news_exactly):
            return self._settle(peer)  # nothing new: an echo, or a repeating step 2
        for client in admission.claims:
            self._room.claims[client] = peer.user.id
        relayed = frame if frame is not None else encode_sync_update(update)
        clients = tuple(sorted(admission.new_client_ids))
        return [Apply(peer, update, relayed, clients, admission.claims, summary, trial)]

    def applied(self, effect: Apply, state_vector: dict[int, int] | None = None) -> list[Effect]:
        """The document took the whole update: log and relay it, settle the peer's sync.
        `state_vector` is the document's after it, when the update's structs alone do not
        say (a skip in it: what follows may be pending in the document; and while structs
        wait there, every later update: the one that fills the gap integrates them too)."""
        self._deleted.noted(effect.summary.delete_set)
        if state_vector is None:
            self._advance(effect.summary)
        else:
            self._state_vector = dict(state_vector)
        peer = effect.peer
        commit = Commit(effect.update, peer.user.id, effect.clients, Broadcast(effect.frame, peer))
        return [commit, *self._settle(peer)]

    def unappliable(
        self,
        effect: Apply,
        taken: bytes | None,
        state_vector: dict[int, int] | None,
        error: str,
    ) -> list[Effect]:
        """pycrdt could not apply the update. What the document took of it before failing
        (`taken`, leaving the document at `state_vector`) is logged and relayed like any
        edit, so document, log and peers stay in step; the frame is refused."""
        self._counters.unappliable_updates += 1
        peer = effect.peer
        effects: list[Effect] = []
        if taken is None or state_vector is None:
            for client in effect.claimed:
                self._room.claims.pop(client, None)
        else:
            before = self._state_vector
            self._state_vector = dict(state_vector)
            self._deleted.noted_update(taken)
            clients = tuple(sorted(c for c, n in state_vector.items() if n > before.get(c, 0)))
            relay = Broadcast(encode_sync_update(taken), peer)
            effects.append(Commit(taken, peer.user.id, clients, relay))
        error_text = (
            f"the server cannot apply this update ({error}); what it could not read was not "
            "kept. Your client wrote content pycrdt does not read (legacy JSON content, an "
            "XML hook?): reload the notebook"
        )
        effects.append(Refuse(peer, ProtocolError(error_text)))
        return effects

    def misshapen(self, effect: Apply) -> None:
        """The document took the update, but it left a cell no notebook client can read
        (`notebook.cellshape`): it is neither logged nor relayed (the room reloads from its
        log), and from now on an update carrying what it wrote — the same client ids, or
        the same deletions — is refused as a document that must reload."""
        self._counters.refused_updates += 1
        self._refused_clients.update(self._new_clients(effect.summary))
        for client, spans in effect.summary.delete_set.items():
            for clock, length in spans:
                self._refused_deletions.add(client, clock, clock + length)

    @property
    def refusals(self) -> tuple[frozenset[int], ProtectedRanges]:
        """The client ids, and the deletions, of edits the room refused."""
        return frozenset(self._refused_clients), self._refused_deletions

    def inherit(self, refusals: tuple[frozenset[int], ProtectedRanges]) -> None:
        """Refuse what `refusals` name too (the room they were refused in reloaded)."""
        clients, deletions = refusals
        self._refused_clients.update(clients)
        self._refused_deletions = deletions

    def relayed(self, update: bytes) -> None:
        """An update was logged and relayed: its echo is recognised from now on."""
        self._echoes.remember(update)

    def caught_up(self, state_vector: dict[int, int], update: bytes) -> None:
        """Another process's logged update is in the document, now at `state_vector`."""
        self._deleted.noted_update(update)
        self._state_vector = state_vector
        self._echoes.remember(update)

    def server_edit(self, client: int, end: int, update: bytes) -> None:
        """The server wrote `update` to the document under its own client id, up to clock
        `end`."""
        self._deleted.noted_update(update)
        if end > self._state_vector.get(client, 0):
            self._state_vector[client] = end

    # -- refusals ------------------------------------------------------------------------

    def _refuse_viewer(self, peer: Peer, update: bytes) -> list[Effect]:
        """A viewer's update never enters, so it is refused without being decoded (that would
        cost up to seconds of pure Python). A viewer whose document is from another history
        (its step 1 named content the room lacks and not this history's marker) must reload;
        otherwise its news is refused, and it still gets the room's state."""
        pending = self._pending.get(peer)
        if pending is not None and not self._shares_history(pending.theirs):
            raise HistoryError(
                "your copy of the notebook is from another history; reload to get the room's copy"
            )
        effects: list[Effect] = []
        if self._viewer_news(update):
            self._counters.refused_updates += 1
            effects.append(
                Send(peer, encode_permission_denied("viewers cannot edit this notebook"))
            )
        return effects + self._answer_pending(peer)

    def _refuse_edit(self, peer: Peer, summary: UpdateSummary, refusal: str) -> list[Effect]:
        """The peer's own edits are refused (and remembered), and it still gets the room's
        state."""
        effects: list[Effect] = []
        if self.is_news(summary):
            self._counters.refused_updates += 1
            self._remember_refused(peer, summary)
            effects.append(Send(peer, encode_permission_denied(refusal)))
        return effects + self._answer_pending(peer)

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
        return not self.covers(theirs)

    def _remember_refused(self, peer: Peer, summary: UpdateSummary) -> None:
        self._refused_clients.update(self._new_clients(summary))
        # A refused deletion carries no client id: this connection's later updates are
        # refused too (a stock client keeps the refused state in its document).
        if self._refused_peers is None:
            self._refused_peers = weakref.WeakSet()
        self._refused_peers.add(peer)

    def _check_not_refused(self, peer: Peer, summary: UpdateSummary) -> bool:
        """Raise HistoryError for an update that carries what the room refused; whether it
        deletes what a refused update deleted (Apply.trial: a resend of it, or anyone's
        later edit of those items — deleting that cell, or text of it — which must pass)."""
        refused = self._refused_peers
        carries = refused is not None and peer in refused and self.is_news(summary)
        if carries or not self._refused_clients.isdisjoint(self._new_clients(summary)):
            raise HistoryError(REFUSED_EDIT)
        again = self._refused_deletions.overlapping(summary.delete_set)
        return bool(again) and not self._deleted.covers(again, exact=True)

    # -- what the room has ---------------------------------------------------------------

    def covers(self, theirs: dict[int, int]) -> bool:
        """Whether the room has everything a state vector names."""
        ours = self._state_vector
        return all(clock <= ours.get(client, 0) for client, clock in theirs.items())

    def _new_clients(self, summary: UpdateSummary) -> set[int]:
        """The client ids of the update's structs the room does not have yet."""
        sv = self._state_vector
        return {
            struct.client
            for struct in summary.structs
            if struct.kind is not StructKind.SKIP
            and struct.clock + struct.length > sv.get(struct.client, 0)
        }

    def is_news(self, summary: UpdateSummary, *, exact: bool | None = True) -> bool:
        """Whether an update holds anything the room does not have yet (`exact`: as
        `KnownDeletions.covers` takes it)."""
        if self._new_clients(summary):
            return True
        return bool(summary.delete_set) and not self._deleted.covers(
            summary.delete_set, exact=exact
        )

    def _advance(self, summary: UpdateSummary) -> None:
        sv = self._state_vector
        for struct in summary.structs:
            if struct.kind is not StructKind.SKIP:
                end = struct.clock + struct.length
                if end > sv.get(struct.client, 0):
                    sv[struct.client] = end
