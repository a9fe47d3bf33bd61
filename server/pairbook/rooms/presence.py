"""Presence: the room's awareness table, with each peer's identity enforced."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pairbook.errors import LimitError
from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update, is_cursor
from pairbook.protocol.jsvalue import json_stringify
from pairbook.rooms.departed import Departed
from pairbook.rooms.limits import RoomLimits
from pairbook.schema import UserRecord

if TYPE_CHECKING:
    from pairbook.rooms.peer import Peer
    from pairbook.rooms.remotepresence import RemotePresence


@dataclass(slots=True)
class _Slot:
    clock: int
    state: dict[str, object] | None
    owner: Peer


class Presence:
    """Who is where: awareness states by Yjs client id, each owned by one connection."""

    def __init__(self, limits: RoomLimits | None = None) -> None:
        self._slots: dict[int, _Slot] = {}
        self._limits = limits or RoomLimits()
        self._departed = Departed()

    def __len__(self) -> int:
        return sum(1 for slot in self._slots.values() if slot.state is not None)

    def accept(
        self,
        peer: Peer,
        entries: tuple[AwarenessEntry, ...],
        remote: RemotePresence | None = None,
    ) -> list[AwarenessEntry]:
        """Take a peer's awareness entries; return the ones to relay, identity enforced.

        A peer may speak only for client ids no other live connection speaks for — on this
        process, or on another one (`remote`: what they show here) unless it is the same
        user's with a newer clock (a browser keeps its client id when it reconnects to
        another process; a stock client sends back every state it receives, at its clock) — and
        the `user` it shows is the one its token grants, whatever it claims. Raises LimitError
        when the peer speaks for more client ids, or sends a larger state, than the limits
        allow; past the room's slots a new client id is not shown.
        """
        limits = self._limits
        accepted: list[AwarenessEntry] = []
        for entry in entries:
            slot = self._slots.get(entry.client_id)
            if slot is not None and slot.owner is not peer:
                continue  # another connection's client id: not yours to speak for
            if slot is not None and entry.clock < slot.clock:
                continue  # stale
            if slot is None and self._departed.stale(entry.client_id, entry.clock, peer.user.id):
                continue  # an echo of a state removed since (see rooms/departed.py)
            if slot is None and entry.state is None:
                # The removal of a client id the room does not show: nothing to remove. Stock
                # y-websocket clients send these for other clients whose states timed out on
                # their side (a lagging client does, for many at once); they claim no id.
                continue
            if slot is None:
                if remote is not None and not remote.yields(entry, peer.user.id):
                    continue  # another process's connection speaks for it, or an echo
                if len(peer.awareness_ids) >= limits.awareness_ids:
                    raise LimitError(
                        f"one connection may show at most {limits.awareness_ids} awareness "
                        "client ids"
                    )
                if len(self._slots) >= limits.presence_slots:
                    continue  # the room's table is full: not shown
            if entry.state is not None:
                size = len(json_stringify(entry.state))
                if size > limits.awareness_state_bytes:
                    raise LimitError(
                        f"an awareness state of {size} bytes exceeds the server's limit of "
                        f"{limits.awareness_state_bytes}"
                    )
            state = None if entry.state is None else self._with_identity(peer, entry.state)
            self._slots[entry.client_id] = _Slot(entry.clock, state, peer)
            peer.awareness_ids.add(entry.client_id)
            if remote is not None:
                remote.forget(entry.client_id)  # its owner speaks for it here now
            accepted.append(AwarenessEntry(entry.client_id, entry.clock, state))
        return accepted

    def shows(self, client_id: int) -> bool:
        """Whether a connection of this process speaks for the client id."""
        return client_id in self._slots

    def remove(self, peer: Peer) -> list[AwarenessEntry]:
        """Forget a peer's states; return the removal entries to tell the others."""
        removed: list[AwarenessEntry] = []
        for client_id in sorted(peer.awareness_ids):
            slot = self._slots.get(client_id)
            if slot is None or slot.owner is not peer:
                continue
            del self._slots[client_id]
            self._departed.note(client_id, slot.clock + 1, peer.user.id)
            if slot.state is not None:
                removed.append(AwarenessEntry(client_id, slot.clock + 1, None))
        peer.awareness_ids.clear()
        return removed

    def full_update(self) -> bytes | None:
        """The whole table as one awareness update, or None when nobody is present."""
        entries = [
            AwarenessEntry(client_id, slot.clock, slot.state)
            for client_id, slot in self._slots.items()
            if slot.state is not None
        ]
        return encode_awareness_update(tuple(entries)) if entries else None

    def users(self) -> list[UserRecord]:
        """The people present, once each."""
        seen: dict[str, UserRecord] = {}
        for slot in self._slots.values():
            if slot.state is not None:
                user = slot.owner.user
                seen[user.id] = user.to_record()
        return list(seen.values())

    @staticmethod
    def _with_identity(peer: Peer, state: dict[str, object]) -> dict[str, object]:
        """The state with the `user` the token grants, and nothing else in it: other peers'
        pages put these values in the DOM (the editor binding writes a user's colors into
        a style attribute), so no key a peer chose may pass."""
        claimed = state.get("user")
        granted = peer.user
        user: dict[str, object] = {
            **granted.to_record(),
            "colorLight": granted.color + "33",  # y-codemirror's selection color
            "role": peer.role.value,
        }
        if isinstance(claimed, dict) and ("display_name" in claimed or "username" in claimed):
            user.update(display_name=granted.name, username=granted.id)  # JupyterLab's shape
        cleaned = {**state, "user": user}
        if not is_cursor(state.get("cursor")):
            # y-codemirror draws every peer's cursor from it: one it cannot read crashed the
            # remote-cursor plugin of every editor on every other page.
            del cleaned["cursor"]
        return cleaned
