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

import importlib.util
from pathlib import Path

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from pairbook.app.headers import OUTPUT_FRAME_PATH, output_frame_headers
from pairbook.errors import NotFoundError

BOKEH_SCRIPTS = frozenset(
    f"bokeh{part}.min.js" for part in ("", "-gl", "-widgets", "-tables", "-mathjax")
)
"""The BokehJS files a bokeh output may need, served from the bokeh package."""

SCRIPT_HEADERS = {"Cross-Origin-Resource-Policy": "cross-origin", "Cache-Control": "no-cache"}

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


def bokeh_scripts() -> Path | None:
    """The BokehJS shipped by the bokeh package of this environment (found, not imported),
    or None: a plot renders only with the BokehJS of the bokeh version that made it, which
    is this one when the kernel runs in pairbook's environment."""
    spec = importlib.util.find_spec("bokeh")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "server" / "static" / "js"
    return folder if (folder / "bokeh.min.js").is_file() else None


async def bokeh_script(request: Request) -> Response:
    """One BokehJS file for a frame that shows a bokeh plot."""
    name = request.path_params["name"]
    folder = bokeh_scripts()
    if name not in BOKEH_SCRIPTS or folder is None:
        raise NotFoundError(
            f"no BokehJS file {name} here: install bokeh in pairbook's environment "
            "(the kernel's version) to show bokeh plots"
        )
    return FileResponse(folder / name, media_type="text/javascript", headers=SCRIPT_HEADERS)


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
                raw.extend((k.lower().encode(), v.encode()) for k, v in SCRIPT_HEADERS.items())
                message["headers"] = raw
            await send(message)

        await self.files(scope, receive, send_with_headers)
