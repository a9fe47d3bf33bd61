"""HTTP routes: health, notebooks, invites, joining, conflict resolution, metrics."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from pairbook.app.context import context_of, grant_of, token_of
from pairbook.app.errors import http_status_for
from pairbook.app.metrics import CONTENT_TYPE
from pairbook.auth import Grant, Role
from pairbook.auth.tokenbook import (
    DEFAULT_INVITE_SECONDS,
    DEFAULT_INVITE_USES,
    MAX_INVITE_SECONDS,
    MAX_INVITE_USES,
)
from pairbook.errors import AuthError, NotebookError, PairbookError
from pairbook.notebook import (
    NotebookFile,
    list_notebooks,
    new_notebook,
    resolve_notebook_path,
)
from pairbook.state.packages import requirements_text
from pairbook.types import RoomId


def error_response(error: PairbookError) -> JSONResponse:
    return JSONResponse({"error": str(error)}, status_code=http_status_for(error))


def require(grant: Grant, *roles: Role) -> None:
    if grant.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise AuthError(f"this needs the {allowed} role; you are {grant.role.value}")


async def health(request: Request) -> Response:
    rooms = list(context_of(request).rooms)
    return JSONResponse({"status": "ok", "rooms": len(rooms)})


async def metrics(request: Request) -> Response:
    return Response(context_of(request).metrics.render(), media_type=CONTENT_TYPE)


def _describe(root: Path, relpath: str, context: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": relpath, "name": Path(relpath).name, "url": room_url(relpath)}
    open_room = context.rooms.get(RoomId(relpath))
    if open_room is not None:
        entry["peers"] = len(open_room.room.peers)
        entry["conflict"] = (
            None if open_room.filesync.conflict is None else open_room.filesync.conflict.message
        )
        return entry
    summary = context.listing.describe(relpath)
    entry.update(summary)
    if "error" not in summary:
        entry["peers"] = 0
    return entry


def room_url(relpath: str) -> str:
    return "/rooms/" + quote(relpath)


async def list_route(request: Request) -> Response:
    try:
        grant_of(request)
    except AuthError as exc:
        return error_response(exc)
    context = context_of(request)
    root = context.settings.root
    paths = await asyncio.to_thread(list_notebooks, root)
    entries = [await asyncio.to_thread(_describe, root, p, context) for p in paths]
    return JSONResponse({"notebooks": entries})


async def create_route(request: Request) -> Response:
    try:
        require(grant_of(request), Role.OWNER, Role.EDITOR)
        body = await _json(request)
        relpath = str(body.get("path", "")).strip()
        if not relpath.endswith(".ipynb"):
            relpath += ".ipynb"
        root = context_of(request).settings.root
        path = resolve_notebook_path(root, relpath)
        if path.exists():
            return JSONResponse({"error": f"{relpath} already exists"}, status_code=409)
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(NotebookFile(path).save, new_notebook())
    except PairbookError as exc:
        return error_response(exc)
    return JSONResponse({"path": relpath, "url": room_url(relpath)}, status_code=201)


async def me_route(request: Request) -> Response:
    try:
        grant = grant_of(request, allow_invite=True)  # the join page asks what an invite is
    except AuthError as exc:
        return error_response(exc)
    user = None if grant.user is None else grant.user.to_json()
    return JSONResponse({"role": grant.role.value, "user": user, "invite": grant.is_invite})


async def invite_route(request: Request) -> Response:
    try:
        require(grant_of(request), Role.OWNER)
        body = await _json(request)
        role = Role(str(body.get("role", "editor")))
        uses = body.get("uses", DEFAULT_INVITE_USES)
        expires_in = body.get("expires_in", DEFAULT_INVITE_SECONDS)
        if isinstance(uses, bool) or not isinstance(uses, int):
            raise ValueError
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            raise ValueError
        if role is Role.OWNER or not (
            1 <= uses <= MAX_INVITE_USES and 1 <= expires_in <= MAX_INVITE_SECONDS
        ):
            raise ValueError
        tokens = context_of(request).tokens  # a locked file write: off the event loop
        minted = await asyncio.to_thread(tokens.mint_invite, role, uses=uses, expires_in=expires_in)
    except ValueError:
        return JSONResponse(
            {
                "error": f"role must be editor or viewer, uses 1 to {MAX_INVITE_USES}, "
                f"expires_in 1 to {MAX_INVITE_SECONDS:.0f} seconds (90 days)"
            },
            status_code=400,
        )
    except PairbookError as exc:
        return error_response(exc)
    base = str(request.base_url).rstrip("/")
    invite = minted.grant
    return JSONResponse(
        {
            "id": invite.id,
            "token": minted.token,
            "role": role.value,
            "url": f"{base}/?token={minted.token}",
            "uses": invite.uses_left,
            "expires": invite.expires,
        },
        status_code=201,
    )


async def join_route(request: Request) -> Response:
    try:
        body = await _json(request)
        invite = str(body.get("invite") or token_of(request) or "")
        minted = await asyncio.to_thread(
            context_of(request).tokens.join,
            invite,
            str(body.get("name", "")),
            str(body.get("email", "")),
        )
    except PairbookError as exc:
        return error_response(exc)
    grant = minted.grant
    assert grant.user is not None
    return JSONResponse(
        {"token": minted.token, "role": grant.role.value, "user": grant.user.to_json()},
        status_code=201,
    )


async def ticket_route(request: Request) -> Response:
    """A single-use websocket ticket for the caller's token (see app/tickets.py)."""
    try:
        token = token_of(request)
        grant_of(request)
        assert token is not None  # grant_of refuses a missing token
        context = context_of(request)
        ticket = context.tickets.mint(token)
    except PairbookError as exc:
        return error_response(exc)
    return JSONResponse({"ticket": ticket, "expires_in": context.tickets.ttl}, status_code=201)


async def resolve_route(request: Request) -> Response:
    try:
        require(grant_of(request), Role.OWNER, Role.EDITOR)
        body = await _json(request)
        keep = body.get("keep")
        if keep not in ("room", "disk"):
            return JSONResponse({"error": "keep must be 'room' or 'disk'"}, status_code=400)
        entry = context_of(request).rooms.get(RoomId(request.path_params["path"]))
        if entry is None or entry.filesync.conflict is None:
            return JSONResponse({"error": "this notebook has no conflict"}, status_code=409)
        await entry.filesync.resolve(keep)
    except PairbookError as exc:
        return error_response(exc)
    return JSONResponse({"resolved": keep})


async def requirements_route(request: Request) -> Response:
    """The kernel's imported packages as requirements.txt (fresh when the kernel is idle)."""
    try:
        grant_of(request)
        relpath = request.path_params["path"]
        entry = await context_of(request).rooms.open(RoomId(relpath))
        if not entry.runner.session.started:
            return JSONResponse(
                {"error": f"the kernel of {relpath} is not running (it stops when everyone has "
                 "left): run a cell, then ask again"},
                status_code=409,
            )  # fmt: skip
        packages = await entry.runner.refresh_packages()
    except (ValueError, PairbookError) as exc:
        if isinstance(exc, PairbookError):
            return error_response(exc)
        return JSONResponse({"error": str(exc)}, status_code=409)
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", Path(relpath).with_suffix("").name)
    filename = f"{stem}-requirements.txt"
    return Response(
        requirements_text(packages, relpath),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def drain_route(request: Request) -> Response:
    try:
        require(grant_of(request), Role.OWNER)
    except PairbookError as exc:
        return error_response(exc)
    closed = await context_of(request).rooms.drain()
    return JSONResponse({"drained": closed})


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise NotebookError("the request body must be JSON") from exc
    if not isinstance(body, dict):
        raise NotebookError("the request body must be a JSON object")
    return body


def fallback_page(request: Request) -> Response:
    """Shown when the browser client has not been built: how to connect anyway."""
    context = context_of(request)
    items = "".join(
        f"<li><code>{html.escape(p)}</code> — ws <code>{html.escape(room_url(p))}</code></li>"
        for p in list_notebooks(context.settings.root)
    )
    page = (
        "<!doctype html><title>pairbook</title><h1>pairbook</h1>"
        "<p>The browser client is not built in this install (run the README's start "
        "command, which builds it). Stock y-websocket clients can connect to the rooms "
        f"below with <code>?token=…</code>.</p><ul>{items}</ul>"
    )
    return HTMLResponse(page)
