"""Security headers on every HTTP response: what the browser may load, frame and sniff.

The Content-Security-Policy lets pages load scripts, styles, fonts and connections from
this server only, images also from `data:` and `blob:` URIs (rich outputs), and nothing may
frame them. The page itself may frame one document only: the output frame (`/output-frame`),
which has a policy of its own (`output_frame_policy`). Styles need `'unsafe-inline'`:
CodeMirror and the client set style elements and attributes of their own. That is why
rendered markdown and outputs carry no style of their own (the client's sanitizer removes
it); with this policy, a style that slipped through still could not load anything from
elsewhere.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from pairbook.app.middleware import HTTPMiddleware

_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


OUTPUT_FRAME_PATH = "/output-frame"
"""The document that renders untrusted active outputs, and (under it) its scripts."""


def _valid_host(host: str | None) -> str | None:
    return host if host and _HOST.fullmatch(host) else None


def content_security_policy(host: str | None) -> str:
    """The policy for a page served under `host` (its websockets are allowed by name, since
    older browsers do not count ws: and wss: as 'self'; the output frame by its exact path,
    which an http: source also matches over https)."""
    valid = _valid_host(host)
    sockets = f" ws://{valid} wss://{valid}" if valid else ""
    frames = f"http://{valid}{OUTPUT_FRAME_PATH}" if valid else "'none'"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            f"connect-src 'self'{sockets}",
            "object-src 'none'",
            f"frame-src {frames}",
            "worker-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def output_frame_policy(host: str | None) -> str:
    """The output frame's policy: a sandbox with scripts but an opaque origin (no cookies,
    storage, or reading the page), scripts and styles inline or from the frame's own folder
    (its renderers: inline scripts and `eval` are what notebook outputs and vega are made
    of), nothing fetched or connected to, no forms, and framed only by this server's page."""
    valid = _valid_host(host)
    # 'self' would be the sandbox's opaque origin in some browsers: name the folder instead.
    assets = f"http://{valid}{OUTPUT_FRAME_PATH}/" if valid else "'none'"
    ancestors = f"http://{valid}" if valid else "'none'"
    return "; ".join(
        (
            "sandbox allow-scripts",
            "default-src 'none'",
            f"script-src {assets} 'unsafe-inline' 'unsafe-eval'",
            f"style-src {assets} 'unsafe-inline'",
            "img-src data: blob:",
            "font-src data:",
            "connect-src 'none'",
            "frame-src 'none'",
            "worker-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {ancestors}",
        )
    )


def output_frame_headers(host: str | None) -> dict[str, str]:
    """The output frame document's own headers (the middleware adds the rest)."""
    return {
        "Content-Security-Policy": output_frame_policy(host),
        "X-Frame-Options": "SAMEORIGIN",
        "X-DNS-Prefetch-Control": "off",  # a hostname looked up is a load the policy misses
        "Cache-Control": "no-cache",
    }


def security_headers(host: str | None, path: str) -> dict[str, str]:
    """The headers every response carries (a route may set its own instead)."""
    headers = {
        "Content-Security-Policy": content_security_policy(host),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if path.startswith("/api/"):
        headers["Cache-Control"] = "no-store"  # tokens, tickets and private notebooks
    return headers


@functools.lru_cache(maxsize=64)
def _raw_headers(host: str | None, api: bool) -> tuple[tuple[bytes, bytes], ...]:
    """`security_headers` as ASGI header pairs, built once per host (the Host header is the
    client's to choose: the cache is bounded)."""
    path = "/api/" if api else "/"
    return tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in security_headers(host, path).items()
    )


class SecurityHeaders(HTTPMiddleware):
    """ASGI middleware adding `security_headers` to every HTTP response."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = _raw_headers(Headers(scope=scope).get("host"), scope["path"].startswith("/api/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in extra if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/;%]')


def attachment(filename: str) -> dict[str, str]:
    """A Content-Disposition header offering `filename` as a download: its last path part,
    without control characters, quotes, slashes or semicolons; an ASCII `filename` for old
    browsers and the exact name as RFC 5987 `filename*` (a header is latin-1 on the wire,
    so a name in another script cannot go in as it is)."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", PurePosixPath(filename).name))
    name = name.strip(" .") or "download"
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return {
        "Content-Disposition": (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
        )
    }
