"""The cross-site guard: which state-changing requests reach a route."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pairbook.app.crosssite import (
    CrossSiteGuard,
    Refusal,
    cors_middleware,
    origin_allowed,
    refuse_cross_site,
)

HOST = "127.0.0.1:8888"
OWN = {"host": HOST, "origin": f"http://{HOST}", "content-type": "application/json"}


def test_reads_are_never_refused() -> None:
    for method in ("GET", "HEAD", "OPTIONS"):
        assert refuse_cross_site(method, {"host": HOST, "origin": "http://evil.test"}, ()) is None


def test_this_servers_own_pages_may_post_json() -> None:
    headers = {**OWN, "content-type": "application/json; charset=utf-8", "content-length": "2"}
    assert refuse_cross_site("POST", headers, ()) is None


def test_another_port_of_the_same_host_is_another_origin() -> None:
    headers = {**OWN, "origin": "http://127.0.0.1:9999"}
    refusal = refuse_cross_site("POST", headers, ())
    assert refusal is not None
    assert refusal.status == 403
    assert "--allow-origin" in refusal.reason
    assert refuse_cross_site("DELETE", {**OWN, "origin": "null"}, ()) is not None


def test_an_allowed_origin_may_post() -> None:
    headers = {**OWN, "origin": "http://localhost:5173"}
    assert refuse_cross_site("POST", headers, ("http://localhost:5173",)) is None
    assert refuse_cross_site("POST", headers, ("*",)) is None


def test_without_origin_sec_fetch_site_decides() -> None:
    base = {"host": HOST, "content-type": "application/json"}
    for site in ("same-site", "cross-site"):
        refusal = refuse_cross_site("POST", {**base, "sec-fetch-site": site}, ())
        assert refusal is not None
        assert refusal.status == 403
    for site in ("same-origin", "none"):
        assert refuse_cross_site("POST", {**base, "sec-fetch-site": site}, ()) is None


def test_clients_that_are_no_browser_are_left_to_their_token() -> None:
    assert refuse_cross_site("POST", {"host": HOST, "content-type": "application/json"}, ()) is None
    assert refuse_cross_site("POST", {"host": HOST}, ()) is None  # no body: curl -XPOST


def test_a_body_must_be_declared_json() -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        refusal = refuse_cross_site("POST", {**OWN, "content-type": content_type}, ())
        assert isinstance(refusal, Refusal)
        assert refusal.status == 415
        assert "application/json" in refusal.reason
    undeclared = {"host": HOST, "content-length": "12"}
    refusal = refuse_cross_site("POST", undeclared, ())
    assert refusal is not None
    assert refusal.status == 415
    chunked = {"host": HOST, "transfer-encoding": "chunked"}
    assert refuse_cross_site("PUT", chunked, ()) is not None


def test_origin_allowed_compares_the_origin_with_the_host() -> None:
    assert origin_allowed(None, HOST, ())
    assert origin_allowed(f"https://{HOST}", HOST, ())
    assert not origin_allowed("http://127.0.0.1:1", HOST, ())
    assert not origin_allowed(f"http://{HOST}.evil.test", HOST, ())


def cors_client(allowed: tuple[str, ...]) -> httpx.AsyncClient:
    """A one-route app behind the CORS answers and the guard, as create_app stacks them."""

    async def notebooks(request: Request) -> JSONResponse:
        return JSONResponse({"notebooks": []})

    middleware = [*cors_middleware(allowed), Middleware(CrossSiteGuard, allowed_origins=allowed)]
    routes = [Route("/api/notebooks", notebooks, methods=["GET", "POST"])]
    app = Starlette(routes=routes, middleware=middleware)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{HOST}")


async def test_an_allowed_origin_may_read_the_api_with_its_token() -> None:
    lab = "http://127.0.0.1:8889"
    async with cors_client((lab,)) as client:
        preflight = await client.options(
            "/api/notebooks",
            headers={
                "origin": lab,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == lab
        assert "access-control-allow-credentials" not in preflight.headers
        reply = await client.get("/api/notebooks", headers={"origin": lab})
        assert reply.headers["access-control-allow-origin"] == lab


async def test_no_other_origin_gets_a_cors_answer() -> None:
    evil = "http://127.0.0.1:9999"
    async with cors_client(("http://127.0.0.1:8889",)) as client:
        reply = await client.get("/api/notebooks", headers={"origin": evil})
        assert "access-control-allow-origin" not in reply.headers
        preflight = await client.options(
            "/api/notebooks", headers={"origin": evil, "access-control-request-method": "POST"}
        )
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        posted = await client.post("/api/notebooks", json={}, headers={"origin": evil})
        assert posted.status_code == 403


async def test_without_allow_origin_there_are_no_cors_answers() -> None:
    assert cors_middleware(()) == []
    async with cors_client(()) as client:
        reply = await client.get("/api/notebooks", headers={"origin": "http://127.0.0.1:8889"})
        assert "access-control-allow-origin" not in reply.headers
