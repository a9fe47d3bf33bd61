"""People and access: the owner lists who has a token and which invites are open, and
revokes either; a revocation closes the person's live connections at once."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pairbook.app.connections import REVOKED
from pairbook.app.context import context_of, grant_of
from pairbook.app.http import require
from pairbook.auth import Grant, GrantKind, Role
from pairbook.errors import AuthError, NotFoundError


def describe(grant: Grant, online: int = 0) -> dict[str, Any]:
    """A grant as the People/Access panel shows it (never its token or digest)."""
    entry: dict[str, Any] = {
        "id": grant.id,
        "kind": grant.kind.value,
        "role": grant.role.value,
        "created": grant.created,
        "last_seen": grant.last_seen,
        "label": grant.label,
    }
    if grant.kind is GrantKind.INVITE:
        entry |= {"uses_left": grant.uses_left, "expires": grant.expires}
    if grant.user is not None:
        entry |= {"user": grant.user.to_json(), "online": online}
    return entry


async def people_route(request: Request) -> Response:
    me = grant_of(request)
    require(me, Role.OWNER)
    context = context_of(request)
    tokens, live = context.tokens, context.connections
    return JSONResponse(
        {
            "people": [describe(g, live.online(g.id)) for g in tokens.people()],
            "invites": [describe(g) for g in tokens.invites()],
            "owner_logins": [
                describe(g, live.online(g.id)) | {"you": g.id == me.id}
                for g in tokens.owner_logins()
            ],
        }
    )


async def revoke_person_route(request: Request) -> Response:
    """DELETE /api/people/{id}: a person's user id (`u-…`) or an owner login (`o-…`)."""
    return await _revoke(request, (GrantKind.PERSON, GrantKind.OWNER))


async def revoke_invite_route(request: Request) -> Response:
    """DELETE /api/invites/{id}: an open invite (`i-…`)."""
    return await _revoke(request, (GrantKind.INVITE,))


async def _revoke(request: Request, kinds: tuple[GrantKind, ...]) -> Response:
    me = grant_of(request)
    require(me, Role.OWNER)
    target = request.path_params["id"]
    if target == me.id:
        raise AuthError("this is the login you are using: revoke it from another one")
    context = context_of(request)
    tokens = context.tokens
    found = [
        g
        for g in tokens.people() + tokens.invites() + tokens.owner_logins()
        if g.kind in kinds
        and (
            g.id == target
            or (g.kind is GrantKind.PERSON and g.user is not None and g.user.id == target)
        )
    ]
    if not found:
        raise NotFoundError(f"nothing to revoke with id {target!r}: see GET /api/people")
    revoked = [g for g in await asyncio.to_thread(tokens.revoke, target) if g.kind in kinds]
    closed = context.connections.close([g.id for g in revoked], REVOKED)
    return JSONResponse({"revoked": [describe(g) for g in revoked], "closed": closed})
