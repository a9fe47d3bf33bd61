"""What the routes share: settings, tokens, the store and the open rooms."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from pairbook.app.connections import Connections
from pairbook.app.metrics import Metrics
from pairbook.auth import Grant, TokenBook
from pairbook.rooms import Rooms
from pairbook.settings import Settings
from pairbook.store.port import Store

TOKEN_COOKIE = "pairbook_token"


@dataclass(slots=True)
class AppContext:
    settings: Settings
    tokens: TokenBook
    store: Store
    rooms: Rooms
    metrics: Metrics
    connections: Connections


def context_of(conn: HTTPConnection) -> AppContext:
    context: AppContext = conn.app.state.pairbook
    return context


def token_of(conn: HTTPConnection) -> str | None:
    """The token from the query string, an Authorization bearer header, or the cookie."""
    token = conn.query_params.get("token")
    if token:
        return token
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return conn.cookies.get(TOKEN_COOKIE)


def grant_of(conn: HTTPConnection, *, allow_invite: bool = False) -> Grant:
    """The caller's grant; raises AuthError with what to do. A bare invite is refused
    unless `allow_invite` (only joining and `/api/me` take one)."""
    return context_of(conn).tokens.resolve(token_of(conn), allow_invite=allow_invite)
