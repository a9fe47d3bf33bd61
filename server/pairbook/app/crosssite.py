"""The cross-site request guard: a page on another origin cannot change anything here.

Every port of localhost is the same *site*, so SameSite cookies do not keep a page served
from another port out, and a `text/plain` or form body needs no CORS preflight. Hence, for
every state-changing request:

- a browser's `Origin` must be this server's own (or an `--allow-origin`); with no `Origin`,
  a `Sec-Fetch-Site` other than `same-origin`/`none` is refused too. A request with neither
  comes from a non-browser client and is left to its token.
- a request with a body must declare `Content-Type: application/json` (what every JSON route
  reads), so no form or `text/plain` post reaches a route.

An `--allow-origin` page (JupyterLab with pairbook's extension, on its own port) also gets
CORS answers, so its script may read the API's replies: the origin is named back exactly,
never with credentials (no cookie is one here: the token travels in `Authorization`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pairbook.app.middleware import HTTPMiddleware

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON_TYPE = "application/json"


def origin_allowed(origin: str | None, host: str, allowed: tuple[str, ...]) -> bool:
    """A browser's Origin is this server's (its Host) or an allowed one; no Origin at all
    is a non-browser client, which its token guards."""
    if origin is None or origin in allowed or "*" in allowed:
        return True
    return urlsplit(origin).netloc == host


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    reason: str


def refuse_cross_site(
    method: str, headers: Mapping[str, str], allowed: tuple[str, ...]
) -> Refusal | None:
    """Why a request must not reach a route, or None. `headers` have lower-case names."""
    if method.upper() in SAFE_METHODS:
        return None
    origin = headers.get("origin")
    if not origin_allowed(origin, headers.get("host", ""), allowed):
        return Refusal(
            403,
            f"cross-origin request from {origin} refused: use pairbook's own pages, or "
            "start the server with --allow-origin for that origin",
        )
    site = headers.get("sec-fetch-site")
    if origin is None and site not in (None, "same-origin", "none"):
        return Refusal(403, f"{site} request refused: use pairbook's own pages")
    content_type = headers.get("content-type")
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    if content_type is None and not has_body:
        return None
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_TYPE:
        return Refusal(
            415,
            f"send the body as JSON with Content-Type: {JSON_TYPE} "
            f"(got {content_type or 'no Content-Type'})",
        )
    return None


class CrossSiteGuard(HTTPMiddleware):
    """ASGI middleware answering refused requests before any route sees them."""

    def __init__(self, app: ASGIApp, allowed_origins: tuple[str, ...] = ()) -> None:
        super().__init__(app)
        self.allowed_origins = allowed_origins

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = refuse_cross_site(scope["method"], Headers(scope=scope), self.allowed_origins)
        if refusal is not None:
            response = JSONResponse({"error": refusal.reason}, status_code=refusal.status)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


CORS_METHODS = ("GET", "POST", "DELETE")
CORS_HEADERS = ("Authorization", "Content-Type")


def cors_middleware(allowed: tuple[str, ...]) -> list[Middleware]:
    """CORS answers for the `--allow-origin` origins only (none without the flag)."""
    if not allowed:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(allowed),
            allow_methods=list(CORS_METHODS),
            allow_headers=list(CORS_HEADERS),
            allow_credentials=False,
            max_age=600,
        )
    ]
