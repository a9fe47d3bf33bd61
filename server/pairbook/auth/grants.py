"""Users, roles and the grants that tie a token to them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

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


def colour_for(user_id: str) -> str:
    """A stable colour for a user, so a person keeps their colour across sessions."""
    digest = hashlib.sha256(user_id.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


@dataclass(frozen=True, slots=True)
class User:
    """A person as every peer sees them."""

    id: UserId
    name: str
    colour: str
    email: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "color": self.colour, "email": self.email}


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token resolves to: a person and their role. Invites have no person yet."""

    token: str
    role: Role
    user: User | None

    @property
    def is_invite(self) -> bool:
        return self.user is None
