"""Settings for an app served in the test's own process (tests calling `create_app`)."""

from __future__ import annotations

from pathlib import Path

from pairbook.auth import hash_token
from pairbook.settings import Settings


def in_memory_settings(root: Path, state_dir: Path, owner_token: str) -> Settings:
    """The in-memory store, `owner_token` the owner's, no kernel sandbox nor kernel-state
    probe; the state folder made as `pairbook serve` makes it (owner-only)."""
    state_dir.mkdir(mode=0o700)
    return Settings(
        root=root,
        state_dir=state_dir,
        store_url="memory://",
        owner_token_hashes=(hash_token(owner_token),),
        kernel_sandbox="none",
        kernel_state=False,
    )
