"""Identity and permissions: tokens map to a user (id, name, color) and a role."""

from pairbook.auth.grants import Grant, GrantKind, Role, User, color_for
from pairbook.auth.profile import check_email, check_name, clean_name, is_email
from pairbook.auth.tokenbook import START_LABEL, Minted, TokenBook
from pairbook.auth.tokenhash import hash_token, new_token

__all__ = [
    "START_LABEL",
    "Grant",
    "GrantKind",
    "Minted",
    "Role",
    "TokenBook",
    "User",
    "check_email",
    "check_name",
    "clean_name",
    "color_for",
    "hash_token",
    "is_email",
    "new_token",
]
