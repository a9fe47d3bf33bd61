"""A member and its command as they travel between processes, and back.

The owner takes nothing on trust from the process that forwards: the envelope is checked
field by field here, the member's grant is looked up in the owner's own token book (its
user and role are the book's: a revocation or a forged role is refused, see
`pairbook.rooms.owners`), and the owner runs the command through its own dispatch (role,
mob rules, arguments) as for a member connected to it."""

from __future__ import annotations

from typing import Any

from pairbook.auth import Role, User
from pairbook.errors import ClusterError
from pairbook.service import Member

MAX_CLIENTS = 64  # Yjs client ids one connection may carry


def member_to_json(member: Member) -> dict[str, Any]:
    """The member as the owner needs it: who, with which role, which connection."""
    return {
        "key": member.key,
        "user": member.user.to_json(),
        "role": member.role.value,
        "clients": sorted(member.clients),
        "grant": member.grant,
    }


def member_from_json(data: Any) -> Member:
    """A member from `member_to_json`; ClusterError naming the field that is wrong."""
    if not isinstance(data, dict):
        raise ClusterError("a forwarded command carries no member")
    key, user, role, clients = (data.get(k) for k in ("key", "user", "role", "clients"))
    grant = data.get("grant", "")
    if not isinstance(grant, str):
        raise ClusterError("a forwarded command's member has a grant id that is not text")
    if not isinstance(key, str) or not key:
        raise ClusterError("a forwarded command's member has no connection key")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        raise ClusterError("a forwarded command's member has no user id")
    for name in ("name", "color", "email"):
        if not isinstance(user.get(name, ""), str):
            raise ClusterError(f"a forwarded command's member has a {name} that is not text")
    if role not in {r.value for r in Role}:
        raise ClusterError(f"a forwarded command's member has an unknown role {role!r}")
    if not isinstance(clients, list) or len(clients) > MAX_CLIENTS:
        raise ClusterError("a forwarded command's member has no list of client ids")
    if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in clients):
        raise ClusterError("a forwarded command's member has a client id that is not one")
    return Member(key, User.from_json(user), Role(role), frozenset(clients), grant)
