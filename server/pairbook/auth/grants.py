"""Users, roles and the grants that tie a token to them."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pairbook.schema import PersonRecord, UserRecord
from pairbook.types import UserId

PALETTE = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4",
    "#42d4f4", "#f032e6", "#469990", "#9a6324", "#800000",
    "#808000", "#000075",
)  # fmt: skip


class Role(StrEnum):
    """What a person may do in a room."""

    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def can_edit(self) -> bool:
        return self is not Role.VIEWER


def color_for(user_id: str) -> str:
    """A stable color for a user, so a person keeps their color across sessions."""
    digest = hashlib.sha256(user_id.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def color_beside(user_id: str, taken: Iterable[str], owner: str | None = None) -> str:
    """A color for someone joining people who hold the colors `taken`: their own
    (`color_for`) unless another person has it, else the first free one of the palette, so
    two people of a room are told apart by color as long as the palette lasts; past that,
    one of the least held (their own if it is one). Never the `owner`'s: the owner is in the
    rooms of every person of the folder."""
    held = Counter(taken)
    choices = [color for color in PALETTE if color != owner]
    fewest = min(held[color] for color in choices)
    own = color_for(user_id)
    if own in choices and held[own] == fewest:
        return own
    return next(color for color in choices if held[color] == fewest)


@dataclass(frozen=True, slots=True)
class User:
    """A person as every peer sees them."""

    id: UserId
    name: str
    color: str
    email: str = ""

    def to_record(self) -> UserRecord:
        """The one user shape every page sees: presence, whoami, runs, chat, replay."""
        return {"id": self.id, "name": self.name, "color": self.color}

    def to_json(self) -> PersonRecord:
        """The user with their email, as the token file and the mob's people keep them."""
        return {"id": self.id, "name": self.name, "color": self.color, "email": self.email}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> User:
        """A user as `to_json()` wrote them; a missing name or color falls back to the id's."""
        user_id = str(data["id"])
        return cls(
            UserId(user_id),
            str(data.get("name") or user_id),
            str(data.get("color") or color_for(user_id)),
            str(data.get("email") or ""),
        )

    @classmethod
    def of_id(cls, user_id: str) -> User:
        """Someone known only by their id (say, from the log): named by it, in its color."""
        return cls(UserId(user_id), user_id, color_for(user_id))


class GrantKind(StrEnum):
    """What a token is: an owner's login, a person's own token, or an invite to become one."""

    OWNER = "owner"
    PERSON = "person"
    INVITE = "invite"


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token resolves to: a person and their role. Invites have no person yet.

    Only the token's digest is kept (`digest`); the token itself is shown once, when minted.
    """

    id: str
    kind: GrantKind
    role: Role
    user: User | None
    digest: str
    created: float
    last_seen: float | None = None
    uses_left: int | None = None  # invites: joins left
    expires: float | None = None  # invites: when the link stops working (epoch seconds)
    label: str = ""

    @property
    def is_invite(self) -> bool:
        return self.kind is GrantKind.INVITE

    def expired(self, now: float) -> bool:
        return self.expires is not None and now >= self.expires

    def to_json(self) -> dict[str, Any]:
        """The grant as kept at rest (the digest, never the token)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "role": self.role.value,
            "user": None if self.user is None else self.user.to_json(),
            "hash": self.digest,
            "created": self.created,
            "last_seen": self.last_seen,
            "uses_left": self.uses_left,
            "expires": self.expires,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Grant:
        user = data.get("user")
        return cls(
            id=str(data["id"]),
            kind=GrantKind(data["kind"]),
            role=Role(data["role"]),
            user=None if not isinstance(user, dict) else User.from_json(user),
            digest=str(data["hash"]),
            created=float(data.get("created") or 0.0),
            last_seen=None if data.get("last_seen") is None else float(data["last_seen"]),
            uses_left=None if data.get("uses_left") is None else int(data["uses_left"]),
            expires=None if data.get("expires") is None else float(data["expires"]),
            label=str(data.get("label") or ""),
        )
