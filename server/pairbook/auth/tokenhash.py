"""Tokens at rest: only a digest is kept, and secrets are compared in constant time.

As JupyterHub does for the tokens it generates: a token is 32 random bytes, so one unsalted
SHA-256 is as strong as a slow salted hash and lets a token be found by its digest. A token
someone chose (`--owner-token`) is hashed the same way; it should be as random.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "sha256:"


def new_token() -> str:
    """A fresh secret: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The digest kept in place of a token."""
    return PREFIX + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str, digest: str) -> bool:
    """Whether `token` hashes to `digest`, in time independent of where they differ."""
    return hmac.compare_digest(hash_token(token).encode(), digest.encode())
