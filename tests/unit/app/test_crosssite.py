"""The cross-site guard: which state-changing requests reach a route."""

from __future__ import annotations

from pairbook.app.crosssite import Refusal, origin_allowed, refuse_cross_site

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
