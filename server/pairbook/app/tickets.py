"""Websocket tickets: short-lived, single-use stand-ins for a token in a websocket URL.

A browser cannot set an Authorization header on a websocket, so the token would have to ride
in the URL, where logs, proxies and the page itself can see it. The browser client instead
asks `POST /api/tickets` (with its token in the header) for a ticket and opens the websocket
with `?ticket=`. A ticket names the token it was minted for, so redeeming it resolves that
token again: a token revoked in between makes the ticket worthless too.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from pairbook.errors import AuthError

TICKET_TTL = 30
"""Seconds a ticket stays valid: long enough to open a socket, short enough to be useless
once it has leaked."""

MAX_TICKETS = 10_000
"""Outstanding tickets kept at most; the oldest are dropped first (a client that asks for
tickets it never uses cannot grow the server)."""

TICKETS_PER_TOKEN = 16
"""Outstanding tickets one token may hold: minting more drops its own oldest, never
another person's (one viewer asking in a loop cannot push everyone else's out)."""


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
        per_token: int = TICKETS_PER_TOKEN,
        clock: Callable[[], float] = time.monotonic,
        entropy: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self.ttl = ttl
        self._limit = limit
        self._per_token = per_token
        self._held: dict[str, deque[str]] = {}  # token -> its outstanding tickets, oldest first
        self._clock = clock
        self._entropy = entropy
        self._tickets: OrderedDict[str, _Ticket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tickets)

    def mint(self, token: str) -> str:
        """A new ticket for `token` (already resolved by the caller)."""
        now = self._clock()
        self._prune(now)
        held = self._held.setdefault(token, deque())
        while len(held) >= self._per_token:
            self._tickets.pop(held.popleft(), None)
        while len(self._tickets) >= self._limit:
            self._forget(*self._tickets.popitem(last=False))
        ticket = self._entropy()
        self._tickets[ticket] = _Ticket(token, now + self.ttl)
        held.append(ticket)
        return ticket

    def redeem(self, ticket: str) -> str:
        """The token a ticket was minted for; the ticket is spent. Raises AuthError for an
        unknown, spent or expired ticket."""
        found = self._tickets.pop(ticket, None)
        if found is None:
            raise AuthError("unknown or already used ticket: ask POST /api/tickets for a new one")
        self._forget(ticket, found)
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
            self._forget(*self._tickets.popitem(last=False))

    def _forget(self, ticket: str, found: _Ticket) -> None:
        held = self._held.get(found.token)
        if held is None:
            return
        with contextlib.suppress(ValueError):
            held.remove(ticket)
        if not held:
            del self._held[found.token]
