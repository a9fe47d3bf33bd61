"""Websocket tickets: short-lived, single-use stand-ins for a token in a websocket URL.

A browser cannot set an Authorization header on a websocket, so the token would have to ride
in the URL, where logs, proxies and the page itself can see it. The browser client instead
asks `POST /api/tickets` (with its token in the header) for a ticket and opens the websocket
with `?ticket=`. A ticket names the token it was minted for, so redeeming it resolves that
token again: a token revoked in between makes the ticket worthless too.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from pairbook.errors import AuthError

TICKET_TTL = 30
"""Seconds a ticket stays valid: long enough to open a socket, short enough to be useless
once it has leaked."""

MAX_TICKETS = 10_000
"""Outstanding tickets kept at most; the oldest are dropped first (a client that asks for
tickets it never uses cannot grow the server)."""


@dataclass(frozen=True, slots=True)
class _Ticket:
    token: str
    expires: float


class TicketBook:
    """Mints tickets for tokens and redeems each once, before it expires."""

    def __init__(
        self,
        ttl: float = TICKET_TTL,
        limit: int = MAX_TICKETS,
        clock: Callable[[], float] = time.monotonic,
        entropy: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self.ttl = ttl
        self._limit = limit
        self._clock = clock
        self._entropy = entropy
        self._tickets: OrderedDict[str, _Ticket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tickets)

    def mint(self, token: str) -> str:
        """A new ticket for `token` (already resolved by the caller)."""
        now = self._clock()
        self._prune(now)
        while len(self._tickets) >= self._limit:
            self._tickets.popitem(last=False)
        ticket = self._entropy()
        self._tickets[ticket] = _Ticket(token, now + self.ttl)
        return ticket

    def redeem(self, ticket: str) -> str:
        """The token a ticket was minted for; the ticket is spent. Raises AuthError for an
        unknown, spent or expired ticket."""
        found = self._tickets.pop(ticket, None)
        if found is None:
            raise AuthError("unknown or already used ticket: ask POST /api/tickets for a new one")
        if self._clock() >= found.expires:
            raise AuthError(
                f"this ticket expired (tickets last {self.ttl:g} s): ask POST /api/tickets "
                "for a new one"
            )
        return found.token

    def _prune(self, now: float) -> None:
        # Insertion order is expiry order: every ticket gets the same ttl.
        while self._tickets:
            first = next(iter(self._tickets.values()))
            if first.expires > now:
                return
            self._tickets.popitem(last=False)
