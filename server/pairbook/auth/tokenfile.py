"""The token file (`.pairbook/tokens.json`): grants at rest, shared by the server and the CLI.

Several processes write it (the server on joins and revocations, `pairbook token`,
`pairbook revoke`), so every change is a read-modify-write under an exclusive `flock` on a
lock file beside it, and every write replaces the file atomically (0600). Readers notice a
change by the file's identity (inode, size, mtime).

Version 1 files kept tokens in plain text; reading one converts it (see `read`), and the
caller writes it back at once so no plain token stays on disk.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pairbook.auth.grants import Grant, GrantKind, Role, User
from pairbook.auth.tokenhash import hash_token
from pairbook.errors import AuthError

VERSION = 2
LEGACY_INVITE_SECONDS = 7 * 86400.0
"""A version-1 invite (unlimited, never expiring) becomes single-use for this long."""

Stamp = tuple[int, int, int]


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


@dataclass(slots=True)
class TokenFileContent:
    """What the file holds: the owner's profile and every grant, by id."""

    owner: dict[str, str] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    migrated: bool = False  # read from a version-1 file: write it back now


class TokenFile:
    """Reads and writes one token file; `locked()` serializes writers across processes."""

    def __init__(self, path: Path, clock: Callable[[], float]) -> None:
        self.path = path
        self._clock = clock

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the exclusive lock for a read-modify-write."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def stamp(self) -> Stamp | None:
        """The file's identity: changes whenever it is replaced; None if there is none."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def read(self) -> TokenFileContent:
        """The file's content (empty if there is no file); AuthError if it is unreadable."""
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return TokenFileContent()
        except (OSError, ValueError) as exc:
            raise AuthError(f"cannot read token file {self.path}: {exc}; fix or delete it") from exc
        if not isinstance(data, dict):
            raise AuthError(f"token file {self.path} is not a JSON object; fix or delete it")
        owner = data.get("owner")
        content = TokenFileContent(
            owner={k: str(v) for k, v in owner.items() if k in ("name", "email")}
            if isinstance(owner, dict)
            else {}
        )
        try:
            for entry in data.get("grants", []):
                grant = Grant.from_json(entry) if "hash" in entry else self._from_version1(entry)
                content.grants[grant.id] = grant
                content.migrated |= "hash" not in entry
        except (KeyError, TypeError, ValueError) as exc:
            raise AuthError(
                f"token file {self.path} has a malformed grant ({exc!r}); fix or delete it"
            ) from exc
        content.migrated |= data.get("version") != VERSION
        return content

    def write(self, content: TokenFileContent) -> None:
        """Replace the file atomically with `content` (call under `locked()`)."""
        # One grant a line, readable; json.dumps without indent is the C encoder (an
        # indented dump is pure Python: 30x slower on a file of a few hundred people).
        grants = ",\n  ".join(json.dumps(g.to_json()) for g in content.grants.values())
        text = (
            f'{{"version": {VERSION}, "owner": {json.dumps(content.owner)}, "grants": [\n  '
            f"{grants}\n]}}\n"
        )
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _from_version1(self, entry: dict[str, Any]) -> Grant:
        now = self._clock()
        user = entry.get("user")
        if isinstance(user, dict):
            return Grant(
                new_id("p"), GrantKind.PERSON, Role(entry["role"]), User.from_json(user),
                hash_token(entry["token"]), created=now, label="kept from an older pairbook",
            )  # fmt: skip
        return Grant(
            new_id("i"), GrantKind.INVITE, Role(entry["role"]), None, hash_token(entry["token"]),
            created=now, uses_left=1, expires=now + LEGACY_INVITE_SECONDS,
            label="kept from an older pairbook",
        )  # fmt: skip
