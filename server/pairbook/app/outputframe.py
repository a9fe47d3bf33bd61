"""The output frame: the one document that runs a notebook output's scripts.

The page renders untrusted active outputs (HTML with scripts, JavaScript, plotly, vega-lite,
bokeh) in an `<iframe sandbox="allow-scripts">` of this document, which the browser gives an
opaque origin: its scripts cannot read the page, its storage, cookies or token, and its own
policy (`headers.output_frame_policy`) lets it fetch and connect to nothing. The page posts it
the output's MIME bundle; the frame's script (`client/src/frame/`, built into
`static/frame/`) renders it, loading a renderer (plotly, vega) from `/output-frame/` only when
that output needs it, and posts back its height. A `srcdoc` frame would inherit the page's
policy, which forbids scripts: hence a route with a policy of its own.
"""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from pairbook.app.headers import OUTPUT_FRAME_PATH, output_frame_headers

FRAME_DOCUMENT = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>pairbook output</title>
<script src="{OUTPUT_FRAME_PATH}/frame.js"></script>
</head>
<body></body>
</html>
"""


async def output_frame(request: Request) -> Response:
    """The frame document, with the frame's policy instead of the page's."""
    return HTMLResponse(FRAME_DOCUMENT, headers=output_frame_headers(request.headers.get("host")))


class FrameAssets:
    """The frame's scripts (its own and the renderers'), fetched by the sandboxed frame.

    The frame's origin is opaque, so every fetch of it is cross-origin: these files (public
    code, no secrets) say so with `Cross-Origin-Resource-Policy: cross-origin`, where the rest
    of the server keeps `same-origin`.
    """

    def __init__(self, directory: Path) -> None:
        self.files = StaticFiles(directory=directory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = Headers(raw=list(message.get("headers", ())))
                raw = [pair for pair in headers.raw if pair[0] != b"cache-control"]
                raw.append((b"cross-origin-resource-policy", b"cross-origin"))
                raw.append((b"cache-control", b"no-cache"))
                message["headers"] = raw
            await send(message)

        await self.files(scope, receive, send_with_headers)
