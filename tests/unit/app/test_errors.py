"""Errors once: routes raise, the app's handlers answer (httpx against the app in-process)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
from starlette.applications import Starlette

from pairbook.app import create_app, http
from pairbook.app.errors import http_status_for
from pairbook.errors import (
    ConflictError,
    NotebookError,
    NotFoundError,
    PairbookError,
    RequestError,
    StoreError,
    TokenError,
)
from pairbook.notebook import file as file_module
from pairbook.notebook.file import NotebookFile
from support.inapp import in_memory_settings
from support.interleave import once_after
from support.panics import pycrdt_panic

OWNER = "owner-token-for-the-error-tests"
EXISTS = "already exists: open it, or choose another name for the new notebook"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = in_memory_settings(tmp_path, tmp_path / ".pairbook", OWNER)
    app: Starlette = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {OWNER}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=headers) as c,
    ):
        yield c


async def post(client: httpx.AsyncClient, path: str, content: bytes) -> httpx.Response:
    return await client.post(path, content=content, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RequestError("x"), 400),
        (ConflictError("x"), 409),
        (NotFoundError("x"), 404),
        (NotebookError("x"), 404),
        (TokenError("x"), 401),
        (StoreError("x"), 503),
        (PairbookError("x"), 500),
    ],
)
def test_one_table_gives_each_error_its_status(error: PairbookError, status: int) -> None:
    assert http_status_for(error) == status


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"a string"'])
async def test_a_malformed_body_is_a_400(client: httpx.AsyncClient, body: bytes) -> None:
    answer = await post(client, "/api/notebooks", body)
    assert answer.status_code == 400
    assert "request body must be" in answer.json()["error"]


async def test_a_malformed_query_is_a_400_even_for_an_unknown_room(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/api/replay/missing.ipynb/moment", params={"seq": "soon"})
    assert answer.status_code == 400
    assert "?seq= must be a number" in answer.json()["error"]
    answer = await client.get("/api/replay/missing.ipynb/blame", params={"seq": "1"})
    assert answer.status_code == 400  # no ?cell=
    answer = await client.get("/api/replay/missing.ipynb/moment", params={"seq": "1"})
    assert answer.status_code == 404  # well formed: the room has no recording


async def test_an_invite_out_of_range_is_a_400(client: httpx.AsyncClient) -> None:
    for body in ({"role": "owner"}, {"role": "king"}, {"uses": 0}, {"uses": True}):
        answer = await post(client, "/api/invites", json.dumps(body).encode())
        assert answer.status_code == 400, body
        assert "role must be editor or viewer" in answer.json()["error"]


async def test_conflicts_are_409_and_unknown_ids_404(client: httpx.AsyncClient) -> None:
    created = await post(client, "/api/notebooks", b'{"path": "a"}')
    assert created.status_code == 201
    again = await post(client, "/api/notebooks", b'{"path": "a.ipynb"}')
    assert (again.status_code, again.json()) == (409, {"error": f"a.ipynb {EXISTS}"})
    resolve = await post(client, "/api/notebooks/a.ipynb/resolve", b'{"keep": "disk"}')
    assert resolve.status_code == 409
    keep = await post(client, "/api/notebooks/a.ipynb/resolve", b'{"keep": "both"}')
    assert keep.status_code == 400
    gone = await client.delete("/api/invites/i-nobody")
    assert gone.status_code == 404
    assert "nothing to revoke" in gone.json()["error"]


async def test_no_token_is_a_401_in_json(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/notebooks", headers={"Authorization": ""})
    assert answer.status_code == 401
    assert "token" in answer.json()["error"]


def a_bug() -> NoReturn:
    raise RuntimeError("a bug")


# A pycrdt panic (a BaseException) went past the middleware: uvicorn answered it in plain text.
@pytest.mark.parametrize("fail", [a_bug, pycrdt_panic])
async def test_an_unexpected_error_is_logged_once_and_answered_500_json(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fail: Callable[[], NoReturn],
) -> None:
    def broken(root: Any) -> list[str]:
        fail()

    monkeypatch.setattr(http, "list_notebooks", broken)
    with caplog.at_level(logging.ERROR):
        answer = await client.get("/api/notebooks")
    assert answer.status_code == 500
    assert "internal error" in answer.json()["error"]
    assert answer.headers["x-content-type-options"] == "nosniff"  # still behind the headers
    logged = [r for r in caplog.records if r.exc_info is not None]
    assert len(logged) == 1
    assert "GET /api/notebooks" in logged[0].getMessage()


async def test_a_notebook_made_while_another_is_created_is_never_written_over(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = tmp_path / "race.ipynb"
    mine = b'{"cells": [], "metadata": {"theirs": true}, "nbformat": 4, "nbformat_minor": 5}'
    # Someone saves race.ipynb after the route looked for it, before it writes.
    with once_after(monkeypatch, NotebookFile, "bytes_of", lambda: theirs.write_bytes(mine)):
        answer = await post(client, "/api/notebooks", b'{"path": "race"}')
    assert (answer.status_code, answer.json()) == (409, {"error": f"race.ipynb {EXISTS}"})
    assert theirs.read_bytes() == mine


async def test_a_notebook_saved_while_the_new_one_is_written_is_never_written_over(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = tmp_path / "late.ipynb"
    mine = b'{"cells": [], "metadata": {"theirs": true}, "nbformat": 4, "nbformat_minor": 5}'
    # Someone saves late.ipynb after the save's own look, before the new file is put there.
    with once_after(
        monkeypatch, file_module, "_create_temporary", lambda: theirs.write_bytes(mine)
    ):
        answer = await post(client, "/api/notebooks", b'{"path": "late"}')
    assert (answer.status_code, answer.json()) == (409, {"error": f"late.ipynb {EXISTS}"})
    assert theirs.read_bytes() == mine
