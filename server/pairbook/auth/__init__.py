"""Identity and permissions: tokens map to a user (id, name, colour) and a role."""

from pairbook.auth.grants import Grant, Role, User, colour_for
from pairbook.auth.tokenbook import TokenBook

__all__ = ["Grant", "Role", "TokenBook", "User", "colour_for"]
