"""HTTP routes: health, notebooks, invites, joining, conflict resolution, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import html
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from pairbook.app.context import context_of, grant_of, token_of
from pairbook.app.headers import attachment
from pairbook.app.metrics import CONTENT_TYPE
from pairbook.auth import Grant, Role
from pairbook.auth.tokenbook import (
    DEFAULT_INVITE_SECONDS,
    DEFAULT_INVITE_USES,
    MAX_INVITE_SECONDS,
    MAX_INVITE_USES,
)
from pairbook.errors import AuthError, ConflictError, RequestError
from pairbook.kernel.kernelmap import shown_packages
from pairbook.kernel.service import KernelService
from pairbook.notebook import (
    NotebookFile,
    list_notebooks,
    new_notebook,
    resolve_notebook_path,
)
from pairbook.notebook.outputs import cell_ids
from pairbook.rooms.fileresolve import resolve_conflict
from pairbook.service import Member
from pairbook.state.packages import requirements_text
from pairbook.types import RoomId


def require(grant: Grant, *roles: Role) -> None:
    if grant.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise AuthError(f"this needs the {allowed} role; you are {grant.role.value}")


async def health(request: Request) -> Response:
    """Ready while the process serves; it says so too when open rooms' files are not being
    saved (Redis unreachable: their changes are in the log, the files catch up later)."""
    context = context_of(request)
    rooms = list(context.rooms)
    body: dict[str, Any] = {"status": "ok", "rooms": len(rooms)}
    unsaved = [
        reason
        for room in rooms
        if (entry := context.rooms.get(room.id)) is not None
        and (reason := entry.filesync.unsaved) is not None
    ]
    if unsaved:
        body["unsaved"] = {"rooms": len(unsaved), "why": sorted(set(unsaved))}
    return JSONResponse(body)


async def metrics(request: Request) -> Response:
    return Response(context_of(request).metrics.render(), media_type=CONTENT_TYPE)


def _describe_open(root: Path, relpath: str, open_room: Any) -> dict[str, Any]:
    """An open notebook as its room holds it (the file trails the room): called in the
    event loop, which owns the room's document."""
    entry: dict[str, Any] = {"path": relpath, "name": Path(relpath).name, "url": room_url(relpath)}
    entry["cells"] = len(cell_ids(open_room.room.doc))
    entry["peers"] = len(open_room.room.peers)
    entry["conflict"] = open_room.filesync.conflict_message
    if open_room.filesync.unsaved is not None:
        entry["unsaved"] = open_room.filesync.unsaved
    twin = open_room.filesync.twin
    if twin is not None and twin.path is not None:
        entry["twin"] = twin.path.relative_to(root.resolve()).as_posix()
    return entry


def _describe_file(relpath: str, context: Any) -> dict[str, Any]:
    """A notebook no room here has open, from its file (read in a thread)."""
    entry: dict[str, Any] = {"path": relpath, "name": Path(relpath).name, "url": room_url(relpath)}
    summary = context.listing.describe(relpath)
    entry.update(summary)
    if "error" not in summary:
        entry["peers"] = 0
    return entry


def room_url(relpath: str) -> str:
    return "/rooms/" + quote(relpath)


async def list_route(request: Request) -> Response:
    grant_of(request)
    context = context_of(request)
    root = context.settings.root
    paths = await asyncio.to_thread(list_notebooks, root)
    entries = [
        _describe_open(root, p, open_room)
        if (open_room := context.rooms.get(RoomId(p))) is not None
        else await asyncio.to_thread(_describe_file, p, context)
        for p in paths
    ]
    return JSONResponse({"notebooks": entries})


def _exists(relpath: str) -> ConflictError:
    return ConflictError(
        f"{relpath} already exists: open it, or choose another name for the new notebook"
    )


async def create_route(request: Request) -> Response:
    require(grant_of(request), Role.OWNER, Role.EDITOR)
    body = await json_body(request)
    relpath = str(body.get("path", "")).strip()
    if not relpath.endswith(".ipynb"):
        relpath += ".ipynb"
    root = context_of(request).settings.root
    path = resolve_notebook_path(root, relpath)
    if path.exists():
        raise _exists(relpath)
    path.parent.mkdir(parents=True, exist_ok=True)
    # over="": written only while there is still no file there (a notebook made since the
    # look above, by another create or an editor, is never written over).
    saved = await asyncio.to_thread(NotebookFile(path).save, new_notebook(), "")
    if not saved.written:
        raise _exists(relpath)
    return JSONResponse({"path": relpath, "url": room_url(relpath)}, status_code=201)


async def me_route(request: Request) -> Response:
    grant = grant_of(request, allow_invite=True)  # the join page asks what an invite is
    user = None if grant.user is None else grant.user.to_json()
    return JSONResponse({"role": grant.role.value, "user": user, "invite": grant.is_invite})


def invite_terms(body: dict[str, Any]) -> tuple[Role, int, float]:
    """The role, uses and lifetime an invite request asks for; RequestError if out of range."""
    role = Role.OWNER
    with contextlib.suppress(ValueError):
        role = Role(str(body.get("role", "editor")))
    uses = body.get("uses", DEFAULT_INVITE_USES)
    expires_in = body.get("expires_in", DEFAULT_INVITE_SECONDS)
    if (
        role is Role.OWNER
        or isinstance(uses, bool)
        or not isinstance(uses, int)
        or isinstance(expires_in, bool)
        or not isinstance(expires_in, int | float)
        or not (1 <= uses <= MAX_INVITE_USES and 1 <= expires_in <= MAX_INVITE_SECONDS)
    ):
        raise RequestError(
            f"role must be editor or viewer, uses 1 to {MAX_INVITE_USES}, "
            f"expires_in 1 to {MAX_INVITE_SECONDS:.0f} seconds (90 days)"
        )
    return role, uses, expires_in


async def invite_route(request: Request) -> Response:
    require(grant_of(request), Role.OWNER)
    role, uses, expires_in = invite_terms(await json_body(request))
    tokens = context_of(request).tokens  # a locked file write: off the event loop
    minted = await asyncio.to_thread(tokens.mint_invite, role, uses=uses, expires_in=expires_in)
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
    body = await json_body(request)
    invite = str(body.get("invite") or token_of(request) or "")
    minted = await asyncio.to_thread(
        context_of(request).tokens.join,
        invite,
        str(body.get("name", "")),
        str(body.get("email", "")),
    )
    grant = minted.grant
    assert grant.user is not None
    return JSONResponse(
        {"token": minted.token, "role": grant.role.value, "user": grant.user.to_json()},
        status_code=201,
    )


async def ticket_route(request: Request) -> Response:
    """A single-use websocket ticket for the caller's token (see app/tickets.py)."""
    token = token_of(request)
    grant_of(request)
    assert token is not None  # grant_of refuses a missing token
    context = context_of(request)
    ticket = context.tickets.mint(token)
    return JSONResponse({"ticket": ticket, "expires_in": context.tickets.ttl}, status_code=201)


async def resolve_route(request: Request) -> Response:
    """Resolve a file's conflict; on any process (forwarded to the one keeping the file)."""
    grant = grant_of(request)
    require(grant, Role.OWNER, Role.EDITOR)
    body = await json_body(request)
    keep = body.get("keep")
    if keep not in ("room", "disk"):
        raise RequestError("keep must be 'room' or 'disk'")
    assert grant.user is not None  # only invites have no person, and they are refused
    # Who asks, should the process keeping the file be another (it checks the grant too).
    member = Member(f"http-{uuid.uuid4().hex[:8]}", grant.user, grant.role, frozenset(), grant.id)
    rooms = context_of(request).rooms
    await resolve_conflict(rooms, RoomId(request.path_params["path"]), member, keep)
    return JSONResponse({"resolved": keep})


async def requirements_route(request: Request) -> Response:
    """The kernel's imported packages as requirements.txt (fresh when the kernel is idle,
    the last known ones when it is busy or stopped)."""
    grant_of(request)
    relpath = request.path_params["path"]
    entry = await context_of(request).rooms.open(RoomId(relpath))
    kernel = entry.find(KernelService)
    if kernel is None:  # another process owns the room and runs its kernel: as it wrote them
        packages, running = shown_packages(entry.room.doc)
    else:
        running = kernel.runner.session.started
        try:
            packages = await kernel.runner.refresh_packages()
        except ValueError as exc:  # the kernel-state view is turned off
            raise ConflictError(str(exc)) from exc
    if not running and not packages:
        raise ConflictError(
            f"the kernel of {relpath} is not running and no packages are known from an "
            "earlier one: run a cell, then ask again"
        )
    filename = f"{Path(relpath).with_suffix('').name}-requirements.txt"
    return Response(
        requirements_text(packages, relpath, last_known=not running),
        media_type="text/plain; charset=utf-8",
        headers=attachment(filename),
    )


async def drain_route(request: Request) -> Response:
    require(grant_of(request), Role.OWNER)
    closed = await context_of(request).rooms.drain()
    return JSONResponse({"drained": closed})


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; RequestError (400) for anything else."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise RequestError("the request body must be JSON") from exc
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object")
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
