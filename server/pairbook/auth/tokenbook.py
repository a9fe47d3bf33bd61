"""The token book: personal tokens and invite links, kept in one JSON file."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from pairbook.auth.grants import Grant, Role, User, colour_for
from pairbook.errors import AuthError
from pairbook.types import UserId

MAX_NAME = 64


def clean_name(name: str) -> str:
    """A display name safe to show: trimmed, control characters removed, bounded."""
    cleaned = "".join(ch for ch in name if ch.isprintable()).strip()
    return cleaned[:MAX_NAME]


class TokenBook:
    """Resolves tokens to grants; mints personal tokens and invite links.

    The owner token is given (so the printed URL stays valid across restarts); every
    other token is minted here and persisted in `path` when a path is given.
    """

    def __init__(
        self,
        owner_token: str,
        path: Path | None = None,
        owner_name: str | None = None,
        owner_email: str | None = None,
    ):
        """`owner_name`/`owner_email` None: the profile saved in `path` (else "Owner")."""
        self._path = path
        self._grants: dict[str, Grant] = {}
        self._owner_profile: dict[str, str] = {}
        if path is not None and path.exists():
            self._load(path)
        name = owner_name or self._owner_profile.get("name") or "Owner"
        email = owner_email if owner_email is not None else self._owner_profile.get("email", "")
        owner = User(UserId("owner"), name, colour_for("owner"), email)
        self._grants[owner_token] = Grant(owner_token, Role.OWNER, owner)
        if path is not None and self._owner_profile != {"name": name, "email": email}:
            self._owner_profile = {"name": name, "email": email}
            self._save()

    def resolve(self, token: str | None) -> Grant:
        """The grant of a token, or AuthError saying how to get a valid one."""
        if not token:
            raise AuthError(
                "no token given: open the link pairbook printed, or ask the owner for one"
            )
        grant = self._grants.get(token)
        if grant is None:
            raise AuthError("unknown token: ask the notebook's owner for a new invite link")
        return grant

    def mint_invite(self, role: Role) -> Grant:
        """A new invite token: whoever opens it joins with `role` under a name they pick."""
        if role is Role.OWNER:
            raise AuthError("invites cannot grant the owner role")
        grant = Grant(secrets.token_urlsafe(18), role, None)
        self._grants[grant.token] = grant
        self._save()
        return grant

    def join(self, invite_token: str, name: str, email: str = "") -> Grant:
        """Exchange an invite for a personal token bound to a new user."""
        invite = self.resolve(invite_token)
        if not invite.is_invite:
            raise AuthError("this token is already personal: use it directly")
        display = clean_name(name)
        if not display:
            raise AuthError("pick a display name (1 to 64 printable characters)")
        user_id = UserId("u-" + secrets.token_hex(6))
        user = User(user_id, display, colour_for(user_id), email.strip()[:200])
        grant = Grant(secrets.token_urlsafe(18), invite.role, user)
        self._grants[grant.token] = grant
        self._save()
        return grant

    def users(self) -> list[User]:
        """Everyone with a personal token (and the owner), with their profiles."""
        return [g.user for g in self._grants.values() if g.user is not None]

    def guest(self, invite: Grant, connection_key: str) -> User:
        """A stable guest identity for a client that connects with a bare invite token."""
        user_id = UserId("guest-" + connection_key)
        return User(user_id, f"Guest {connection_key[:4]}", colour_for(user_id))

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise AuthError(f"cannot read token file {path}: {exc}; fix or delete it") from exc
        owner = data.get("owner")
        if isinstance(owner, dict):
            self._owner_profile = {k: str(v) for k, v in owner.items() if k in ("name", "email")}
        for entry in data.get("grants", []):
            user = entry.get("user")
            self._grants[entry["token"]] = Grant(
                entry["token"],
                Role(entry["role"]),
                None
                if user is None
                else User(UserId(user["id"]), user["name"], user["color"], user.get("email", "")),
            )

    def _save(self) -> None:
        if self._path is None:
            return
        grants: list[dict[str, Any]] = [
            {
                "token": g.token,
                "role": g.role.value,
                "user": None if g.user is None else g.user.to_json(),
            }
            for g in self._grants.values()
            if g.role is not Role.OWNER
        ]
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".tokens-")
        with os.fdopen(fd, "w") as f:
            json.dump({"owner": self._owner_profile, "grants": grants}, f, indent=1)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self._path)
