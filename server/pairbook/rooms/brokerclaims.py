"""BrokerClaims: client ids claimed for their users across the processes that hold a room,
through the broker (the first claim wins everywhere)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pairbook.broker.port import Broker
from pairbook.errors import BrokerError
from pairbook.rooms.effects import Apply, Effect, Refuse
from pairbook.types import RoomId, UserId

if TYPE_CHECKING:
    from pairbook.rooms.room import Room

log = logging.getLogger("pairbook.feed")


class BrokerClaims:
    """A room's claims on the broker. While the broker cannot be reached a claim is this
    process's alone, and made everywhere once it is back (`confirm`)."""

    def __init__(self, room_id: RoomId, broker: Broker) -> None:
        self._room_id = room_id
        self._broker = broker
        self._unconfirmed: dict[int, UserId] = {}  # claimed while the broker was away

    @property
    def unconfirmed(self) -> bool:
        return bool(self._unconfirmed)

    async def admits(self, effects: list[Effect], room: Room | None) -> bool:
        """Whether no effect refuses the update and every new client id is the peer's
        everywhere (claimed now); a claim lost is undone in the room."""
        for effect in effects:
            if isinstance(effect, Refuse):
                return False
            if not isinstance(effect, Apply) or not effect.claimed:
                continue
            if not await self.claim(effect.claimed, effect.peer.user.id, room):
                return False
        return True

    async def claim(self, client_ids: frozenset[int], user_id: UserId, room: Room | None) -> bool:
        """Claim new client ids for a user everywhere (first claim wins); False when another
        process gave one to someone else."""
        try:
            owners = [await self._broker.claim(self._room_id, c, user_id) for c in client_ids]
        except BrokerError as exc:
            log.warning(
                "client ids claimed here alone", extra={"room": self._room_id, "reason": str(exc)}
            )
            self._unconfirmed.update(dict.fromkeys(client_ids, user_id))
            return True
        if all(owner == user_id for owner in owners):
            return True
        if room is not None:
            for client in client_ids:
                room.claims.pop(client, None)
        return False

    async def confirm(self, room: Room) -> None:
        """The broker is back: claims made here alone are made everywhere. One another
        process gave someone else meanwhile means two people wrote under one id: the
        document is reloaded from the log."""
        while self._unconfirmed:
            client, user_id = next(iter(self._unconfirmed.items()))
            try:
                owner = await self._broker.claim(self._room_id, client, user_id)
            except BrokerError:
                return  # away again: the next reconnection tries again
            if owner != user_id:
                room.lose(f"client id {client} was claimed twice while the broker was away")
            del self._unconfirmed[client]
