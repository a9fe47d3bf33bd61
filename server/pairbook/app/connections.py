"""Live connections by the grant they came in with, so a revocation closes them at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from pairbook.auth import TokenBook
from pairbook.rooms import CloseCode, Peer

log = logging.getLogger("pairbook.access")

REVOKED = "your access to this server was revoked by its owner"


class Connections:
    """Which peers each grant has open. The websocket endpoint adds and removes its peer;
    `close` ends every connection of some grants (close code 4401 with a reason)."""

    def __init__(self) -> None:
        self._peers: dict[str, set[Peer]] = {}

    def add(self, grant_id: str, peer: Peer) -> None:
        self._peers.setdefault(grant_id, set()).add(peer)

    def remove(self, grant_id: str, peer: Peer) -> None:
        peers = self._peers.get(grant_id)
        if peers is not None:
            peers.discard(peer)
            if not peers:
                del self._peers[grant_id]

    def close(self, grant_ids: Iterable[str], reason: str = REVOKED) -> int:
        """Close every live connection of these grants; how many were closed."""
        closed = 0
        for grant_id in grant_ids:
            for peer in self._peers.pop(grant_id, set()):
                peer.request_close(CloseCode.UNAUTHORIZED, reason)
                closed += 1
        return closed

    def online(self, grant_id: str) -> int:
        return len(self._peers.get(grant_id, ()))

    def close_revoked(self, tokens: TokenBook) -> int:
        """Close the connections whose grant is gone (revoked by another process)."""
        return self.close([g for g in list(self._peers) if not tokens.valid(g)])

    async def watch(self, tokens: TokenBook, interval: float = 1.0) -> None:
        """Follow the token file: a revocation made with `pairbook revoke` while the server
        runs closes that person's connections within `interval` seconds."""
        while True:
            await asyncio.sleep(interval)
            try:
                tokens.refresh()
                closed = self.close_revoked(tokens)
                if closed:
                    log.info("revoked connections closed", extra={"count": closed})
            except Exception:
                log.exception("cannot re-read the token file")
