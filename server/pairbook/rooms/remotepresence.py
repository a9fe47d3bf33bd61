"""RemotePresence: the awareness states other processes' peers show in a room."""

from __future__ import annotations

from dataclasses import dataclass

from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.rooms.departed import Departed

OUTDATED_AFTER = 30.0
"""Seconds a state lives without renewal: y-protocols' `outdatedTimeout` (clients renew
theirs every 15 s), so a process that died takes its peers' cursors with it."""


@dataclass(slots=True)
class _Remote:
    clock: int
    state: dict[str, object] | None
    seen: float


class RemotePresence:
    """Awareness states by Yjs client id, as other processes relayed them (their identity
    was enforced there), each expiring unless renewed."""

    def __init__(self, outdated_after: float = OUTDATED_AFTER) -> None:
        self._outdated_after = outdated_after
        self._slots: dict[int, _Remote] = {}
        self._departed = Departed()

    def __len__(self) -> int:
        return sum(1 for slot in self._slots.values() if slot.state is not None)

    def accept(self, entries: tuple[AwarenessEntry, ...], now: float) -> list[AwarenessEntry]:
        """Take another process's entries; return the ones that changed the table
        (y-protocols' rule: a newer clock wins, a removal at the same clock too)."""
        accepted: list[AwarenessEntry] = []
        for entry in entries:
            slot = self._slots.get(entry.client_id)
            if slot is None:
                if entry.state is None:
                    continue
            elif entry.clock < slot.clock or (
                entry.clock == slot.clock and (entry.state is not None or slot.state is None)
            ):
                continue
            if entry.state is None:
                self._departed.note(entry.client_id, entry.clock, self.owner(entry.client_id))
                self._slots.pop(entry.client_id, None)
            else:
                self._slots[entry.client_id] = _Remote(entry.clock, entry.state, now)
            accepted.append(entry)
        return accepted

    def owner(self, client_id: int) -> str | None:
        """The user another process shows under this client id ("" if its state names
        none), or None when no other process shows it."""
        slot = self._slots.get(client_id)
        if slot is None or slot.state is None:
            return None
        user = slot.state.get("user")
        found = user.get("id") if isinstance(user, dict) else None
        return found if isinstance(found, str) else ""

    def yields(self, entry: AwarenessEntry, user_id: str) -> bool:
        """Whether a peer of this process may speak for the entry's client id: nobody here
        shows it from another process, or its user does and the entry is newer than what
        was shown (the browser moved here). An entry at the shown clock is an echo: stock
        y-websocket clients send back every awareness state they receive."""
        owner = self.owner(entry.client_id)
        if owner is None:  # unless it is an echo of a state removed since
            return not self._departed.stale(entry.client_id, entry.clock, user_id)
        return owner == user_id and entry.clock > self._slots[entry.client_id].clock

    def forget(self, client_id: int) -> None:
        """A peer of this process speaks for the client id now (its owner moved here)."""
        self._slots.pop(client_id, None)

    def expire(self, now: float) -> list[AwarenessEntry]:
        """Forget states not renewed in time; return the removal entries to relay."""
        gone = [
            (client_id, slot)
            for client_id, slot in self._slots.items()
            if now - slot.seen >= self._outdated_after
        ]
        for client_id, slot in gone:
            self._departed.note(client_id, slot.clock + 1, self.owner(client_id))
            del self._slots[client_id]
        return [AwarenessEntry(client_id, slot.clock + 1, None) for client_id, slot in gone]

    def full_update(self) -> bytes | None:
        """Every remote state as one awareness update, or None when nobody is shown."""
        entries = [
            AwarenessEntry(client_id, slot.clock, slot.state)
            for client_id, slot in self._slots.items()
            if slot.state is not None
        ]
        return encode_awareness_update(tuple(entries)) if entries else None
