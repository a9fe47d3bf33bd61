"""What the routes share: settings, tokens, tickets, the store and the open rooms."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from pairbook.app.connections import Connections
from pairbook.app.metrics import Metrics
from pairbook.app.tickets import TicketBook
from pairbook.auth import Grant, TokenBook
from pairbook.notebook.listing import NotebookListing
from pairbook.rooms import Rooms
from pairbook.settings import Settings
from pairbook.store.port import Store


@dataclass(slots=True)
class AppContext:
    settings: Settings
    tokens: TokenBook
    store: Store
    rooms: Rooms
    metrics: Metrics
    connections: Connections
    listing: NotebookListing
    tickets: TicketBook = field(default_factory=TicketBook)


def context_of(conn: HTTPConnection) -> AppContext:
    context: AppContext = conn.app.state.pairbook
    return context


def token_of(conn: HTTPConnection) -> str | None:
    """The token from an Authorization bearer header or the query string. No cookie: a
    cookie would ride along on requests other sites' pages make."""
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return conn.query_params.get("token") or None


def grant_of(conn: HTTPConnection, *, allow_invite: bool = False) -> Grant:
    """The caller's grant; raises AuthError with what to do. A bare invite is refused
    unless `allow_invite` (only joining and `/api/me` take one)."""
    return context_of(conn).tokens.resolve(token_of(conn), allow_invite=allow_invite)


def socket_grant_of(conn: HTTPConnection) -> Grant:
    """A websocket's grant: from a single-use `?ticket=` (the browser client), else its
    token. Raises AuthError with what to do."""
    context = context_of(conn)
    ticket = conn.query_params.get("ticket")
    if ticket is not None:
        return context.tokens.resolve(context.tickets.redeem(ticket))
    return grant_of(conn)
