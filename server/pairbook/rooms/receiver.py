"""Receiver: a room's incoming frames, decoded, decided by the sync machine, and executed."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pairbook.errors import AuthError, HistoryError, ProtocolError, StoreError
from pairbook.notebook.applied import apply_update
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
    encode_sync_step2,
    encode_sync_update,
)
from pairbook.protocol.update import (
    StructKind,
    UpdateSummary,
    decode_state_vector,
    decode_update,
    encode_state_vector,
)
from pairbook.rooms.decoding import UpdateDecoder
from pairbook.rooms.effects import Answer, Apply, Broadcast, Commit, Effect, Send
from pairbook.rooms.handle import member_of
from pairbook.rooms.limits import check_frame_size
from pairbook.rooms.ownership import answer_command
from pairbook.rooms.sync import REFUSED_EDIT
from pairbook.rooms.trial import trial_fault
from pairbook.rooms.trialbudget import TrialBudget

if TYPE_CHECKING:
    from pairbook.rooms.peer import Peer
    from pairbook.rooms.room import Room


PIPELINED = 64
"""A room's commits in flight past which a peer's frame waits for its own to be logged and
relayed before its connection reads on: under a stalled log, memory stays bounded."""


class Receiver:
    """The I/O shell of a room's sync machine (`rooms.sync`): a peer's frame goes in, the
    machine decides, and its effects are executed here in order."""

    def __init__(self, room: Room, decoder: UpdateDecoder, clock: Callable[[], float]) -> None:
        self._room = room
        self._decoder = decoder
        self._clock = clock
        self._waited: tuple[bytes, frozenset[int]] | None = None
        """What waited in the document when last asked, and the clients it involves."""
        self.trials = TrialBudget()
        """The loop time each person's trial copies may take (rooms/trialbudget.py)."""

    async def receive(self, peer: Peer, frame: bytes, *, pipelined: bool = False) -> None:
        """Handle one frame from a peer (see `Room.receive`)."""
        room = self._room
        received = time.perf_counter()
        check_frame_size(frame, room.limits)
        message = decode_message(frame)
        if isinstance(message, SyncUpdate):
            await self._on_update(peer, message, frame, received, pipelined)
        elif isinstance(message, AwarenessMessage):
            self._on_awareness(peer, message)
        elif isinstance(message, SyncStep1):
            await self.execute(room.sync.step1(peer, message, self._clock()))
        elif isinstance(message, SyncStep2):
            await self._on_update(peer, message, None, received, pipelined)
        elif isinstance(message, QueryAwareness):
            room.send_presence(peer)
        elif isinstance(message, CommandMessage):
            peer.speaks_pairbook = True
            reply = await answer_command(room, member_of(peer), message.body)
            peer.send(encode_command(reply))
        elif isinstance(message, AuthMessage):
            raise ProtocolError("clients do not send auth messages")

    async def _on_update(
        self,
        peer: Peer,
        message: SyncUpdate | SyncStep2,
        frame: bytes | None,
        received: float,
        pipelined: bool,
    ) -> None:
        room = self._room
        wait = self.trials.delay(peer.user.id)
        if wait:  # their earlier updates' trial copies took their share of the loop
            await asyncio.sleep(wait)
        sync = room.sync
        effects = sync.screen(peer, message)
        if effects is None:
            summary = await self._decoder.decode(message.update)
            self._decoder.check_cells(summary, sync.state_vector)
            refusal = room.services.edit_refusal(peer)
            effects = sync.update(peer, message, summary, frame=frame, refusal=refusal)
            if room.feed is not None:  # new client ids claimed everywhere; maybe read the log
                again = lambda: sync.update(peer, message, summary, frame=frame, refusal=refusal)  # noqa: E731
                effects = await room.feed.admit(effects, again)
        await self.execute(effects, received, pipelined)

    async def execute(
        self, effects: list[Effect], received: float = 0.0, pipelined: bool = False
    ) -> None:
        """Do what the sync state machine decided, in order; a refusal raises its error.
        `pipelined`: a commit is waited for only while the room has PIPELINED commits in
        flight already (else its frame's handling ends once it is started).
        Nothing once the room is lost (a frame handled across an await — its decoding, the
        claim of a new client id — as the feed or a fence lost the room): StoreError, the
        room reloads from its log and the peer, closed already, sends its change again once
        reconnected."""
        room = self._room
        for effect in effects:
            if room.lost is not None:
                raise StoreError(f"the room must reload from its log ({room.lost})")
            if isinstance(effect, Send):
                effect.peer.send(effect.frame)
            elif isinstance(effect, Answer):
                await self._answer(effect)
            elif isinstance(effect, Broadcast):
                room.broadcast(effect)
            elif isinstance(effect, Apply):
                await self._apply(effect, received, pipelined)
            elif isinstance(effect, Commit):
                if pipelined and room.commits.inflight < PIPELINED:
                    # Relayed once logged, as always; the connection reads its next frame
                    # meanwhile (no future, shield and wake-up of its task per frame).
                    room.commits.add(effect, received)
                else:
                    # The document has the update now: logging and relaying it must finish
                    # even if this connection is cancelled meanwhile, or the others would
                    # never get what the room holds.
                    await asyncio.shield(room.commits.start(effect, received))
            else:
                raise effect.error

    async def _answer(self, effect: Answer) -> None:
        """Send a peer the room's state (sync step 2) once the log has all of it: nothing
        reaches a peer before the log has it, a joiner's first state included. The state
        is taken now; meanwhile the peer is live, so a change logged after now reaches it
        relayed, as any peer's (stock y-websocket servers, too, relay updates to a peer
        before its step 2; Yjs holds one until what it builds on arrives)."""
        room, peer = self._room, effect.peer
        frame = encode_sync_step2(room.as_built.beyond(effect.state_vector))
        if not peer.live:
            peer.go_live()
        if room.commits.inflight and not await room.commits.landed():
            return  # a write failed: the room is lost and its peers are being closed
        peer.send(frame, whole=True)  # relays may wait before it: it may exceed the bound
        room.answered.set()

    async def _apply(self, effect: Apply, received: float, pipelined: bool) -> None:
        # Applied before it is logged: the log holds only what the document could apply
        # (pycrdt cannot read all that yjs writes), so the room always loads from it again.
        room = self._room
        reading = room.structure.read(effect.summary)
        # Structs held pending (an earlier update's skip) are integrated by the update that
        # fills their gap, whatever it looks like, and the index has not read them.
        waits = self._may_integrate_waiting(effect.summary)
        if reading.touches or effect.trial or waits:
            # Decided before the document takes it (pycrdt cannot un-apply): a keystroke
            # never gets here, a new cell or a cell's key set does, and pays for a copy.
            tried = time.perf_counter()
            fault = trial_fault(room.doc, effect.update, room.waiting)
            self.trials.spent(effect.peer.user.id, time.perf_counter() - tried)
            if fault is not None:
                self._refuse_misshapen(effect, fault)
        room.author = effect.peer.user.id
        room.cells.faults.clear()
        try:
            applied = apply_update(room.doc, effect.update, room.sync.state_vector)
        finally:
            room.author = None
        if room.cells.faults:
            self._misshapen(effect, room.cells.faults[0])
            return
        if applied.error is not None:
            room.restructured()
            taken = applied.taken
            state = None if taken is None else decode_state_vector(room.doc.get_state())
            await self.execute(room.sync.unappliable(effect, taken, state, applied.error), received)
            return
        room.structure.take(reading)
        if waits:
            room.restructured()  # pending structs it integrated: indexed from the document
        state = None
        if room.waiting or any(s.kind is StructKind.SKIP for s in effect.summary.structs):
            # What follows a skip may stay pending in the document (its origin is in the
            # gap), and the update that fills the gap integrates it too: only the document
            # says how far it got, for each client, and what waits still.
            encoded = room.doc.get_state()
            room.waiting.took(effect.update, encoded)
            state = decode_state_vector(encoded)
            effect = _with_waited(room, effect, state)
        await self.execute(room.sync.applied(effect, state), received, pipelined)
        room.counters.updates += 1
        room.counters.update_bytes += len(effect.update)

    def _may_integrate_waiting(self, summary: UpdateSummary) -> bool:
        """Whether an update may integrate structs the document holds pending: it writes as
        a client they are written by or build on (others' keystrokes do not, and pay no
        copy of the document however long something waits)."""
        waiting = self._room.waiting.update
        if waiting is None:
            return False
        if self._waited is None or self._waited[0] is not waiting:
            clients: set[int] = set()
            for struct in decode_update(waiting).structs:
                clients.add(struct.client)
                refs = (struct.origin, struct.right_origin, struct.parent_id)
                clients.update(ref[0] for ref in refs if ref is not None)
            self._waited = (waiting, frozenset(clients))
        wanted = self._waited[1]
        return any(s.client in wanted for s in summary.structs if s.kind is not StructKind.SKIP)

    def _refuse_misshapen(self, effect: Apply, fault: str) -> None:
        """Refuse an update that would leave what no notebook client can read; the room and
        its other peers never see it. The sender's document holds it: what carries it again
        (its client ids, its deletions) is told to reload (4409), as a resend is."""
        self._room.sync.misshapen(effect)
        if effect.trial:
            raise HistoryError(REFUSED_EDIT)
        raise AuthError(f"your update would leave what no notebook client can read: {fault}")

    def _misshapen(self, effect: Apply, fault: str) -> None:
        """The update left a cell no notebook client can read (a number among the cells, a
        source that is a plain string): the document holds what nobody else may get, so
        it is never logged or relayed; the peer is refused (its client ids from now on,
        also after the reload) and the room reloads from its log, its peers reconnecting."""
        room = self._room
        room.sync.misshapen(effect)
        error = AuthError(f"your update left what no notebook client can read: {fault}")
        room.log_refusal(effect.peer, error)
        effect.peer.request_close(CloseCode.FORBIDDEN, str(error))
        room.lose("a peer's update was refused after it was applied")

    def _on_awareness(self, peer: Peer, message: AwarenessMessage) -> None:
        room = self._room
        remote = None if room.feed is None else room.feed.presence  # other processes' peers
        accepted = room.presence.accept(peer, message.entries, remote)
        if not accepted:
            return
        if accepted == list(message.entries):
            payload = message.payload
        else:
            payload = encode_awareness_update(tuple(accepted))
        room.counters.awareness_updates += 1
        room.broadcast(Broadcast(encode_awareness(payload), peer, live_only=False))
        if room.feed is not None:
            room.feed.presence_changed(payload)
        notes = room.services.notes
        if notes is not None:
            for entry in accepted:
                notes.note_awareness(peer.user.id, entry.client_id, entry.state)


def _with_waited(room: Room, effect: Apply, state: dict[int, int]) -> Apply:
    """The applied update, to relay with the structs that waited in the document for it
    (`state`: the document's state vector now), if it integrated any: they reached the
    document only now, and a peer that joined while they waited got a state without them
    (encoded from the document, which leaves pending structs out)."""
    before = room.sync.state_vector
    own: dict[int, int] = {}
    for struct in effect.summary.structs:
        if struct.kind is not StructKind.SKIP:
            own[struct.client] = max(own.get(struct.client, 0), struct.clock + struct.length)
    if all(n <= max(before.get(c, 0), own.get(c, 0)) for c, n in state.items()):
        return effect
    taken = room.doc.get_update(encode_state_vector(before))
    return dataclasses.replace(effect, frame=encode_sync_update(taken))
