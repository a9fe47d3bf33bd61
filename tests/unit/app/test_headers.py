"""The security headers every response carries."""

from __future__ import annotations

import pytest

from pairbook.app.headers import (
    attachment,
    content_security_policy,
    output_frame_headers,
    output_frame_policy,
    security_headers,
)


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_the_policy_allows_only_this_server_and_inline_images() -> None:
    policy = directives(content_security_policy("127.0.0.1:8888"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["connect-src"] == ["'self'", "ws://127.0.0.1:8888", "wss://127.0.0.1:8888"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-eval'" not in content_security_policy("h")


def test_a_strange_host_header_is_not_copied_into_the_policy() -> None:
    for host in ("evil.test; script-src *", "a b", "", None):
        policy = directives(content_security_policy(host))
        assert policy["connect-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
    assert "ws://[::1]:8888" in content_security_policy("[::1]:8888")


def test_api_answers_are_not_cached() -> None:
    assert security_headers("h", "/api/join")["Cache-Control"] == "no-store"
    page = security_headers("h", "/")
    assert "Cache-Control" not in page
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "no-referrer"


def test_the_page_may_frame_the_output_frame_only() -> None:
    policy = directives(content_security_policy("127.0.0.1:8888"))
    assert policy["frame-src"] == ["http://127.0.0.1:8888/output-frame"]
    assert directives(content_security_policy("evil.test; x"))["frame-src"] == ["'none'"]


def test_the_output_frame_runs_scripts_in_an_opaque_origin_that_reaches_nothing() -> None:
    policy = directives(output_frame_policy("127.0.0.1:8888"))
    assert policy["sandbox"] == ["allow-scripts"]
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    assert policy["script-src"][0] == "http://127.0.0.1:8888/output-frame/"
    assert policy["frame-ancestors"] == ["http://127.0.0.1:8888"]
    strange = directives(output_frame_policy("evil.test; script-src *"))
    assert strange["script-src"][0] == "'none'"
    assert strange["frame-ancestors"] == ["'none'"]
    headers = output_frame_headers("h")
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-DNS-Prefetch-Control"] == "off"


@pytest.mark.parametrize(
    ("name", "ascii_name", "exact"),
    [
        ("demo.ipynb", "demo.ipynb", "demo.ipynb"),
        ("team/sub/demo.py", "demo.py", "demo.py"),
        ('a "b"; c.py', "a _b__ c.py", "a%20_b__%20c.py"),
        ("données 数据.ipynb", "donn_es __.ipynb", "donn%C3%A9es%20%E6%95%B0%E6%8D%AE.ipynb"),
        ("evil\r\nSet-Cookie: x.py", "evil__Set-Cookie: x.py", "evil__Set-Cookie%3A%20x.py"),
        ("..", "download", "download"),
    ],
)
def test_an_attachment_names_a_safe_file_in_ascii_and_exactly(
    name: str, ascii_name: str, exact: str
) -> None:
    header = attachment(name)["Content-Disposition"]
    assert header == f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{exact}"
    header.encode("latin-1")  # a header Starlette can send
