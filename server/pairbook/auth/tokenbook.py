"""The token book: owner logins, people's tokens and invites, kept hashed in one JSON file.

A token is shown once, when it is minted, and only its digest is kept (see `tokenhash`).
Owner logins are minted by the CLI (`pairbook serve` prints a fresh one at each start,
`pairbook token` mints one on demand); an owner's `--owner-token` lives for one run only
and is never written. Invites are single-use (or capped) and expire; joining spends one use
and mints the person's own token. Everything can be revoked, from the API or the CLI.

The server and the CLI share the file: the book re-reads it when it changed, so a token
minted or revoked by the CLI counts on the server's next request.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pairbook.auth.grants import Grant, GrantKind, Role, User, color_beside, color_for
from pairbook.auth.profile import check_email, check_name, name_key
from pairbook.auth.tokenfile import Stamp, TokenFile, TokenFileContent, new_id
from pairbook.auth.tokenhash import hash_token, new_token, token_matches
from pairbook.errors import AuthError, NameTakenError, TokenError
from pairbook.types import UserId

OWNER_ID = UserId("owner")
DEFAULT_INVITE_USES = 1
DEFAULT_INVITE_SECONDS = 7 * 86400.0
MAX_INVITE_USES = 1000
MAX_INVITE_SECONDS = 90 * 86400.0
SEEN_EVERY = 60.0
"""Seconds between two writes of a grant's `last_seen` (a request does not write a file)."""
START_LABEL = "printed at start"


@dataclass(frozen=True, slots=True)
class Minted:
    """A new token and its grant: the only moment the token itself is known."""

    token: str
    grant: Grant


class TokenBook:
    """Resolves tokens to grants; mints, lists and revokes them.

    `path` None keeps everything in memory (tests, `memory://`). `run_owner_digests` are
    digests of owner tokens valid for this process only (`--owner-token`, the supervisor's
    own), neither written nor listed.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        owner_name: str | None = None,
        owner_email: str | None = None,
        run_owner_digests: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._file = None if path is None else TokenFile(path, clock)
        self._content = TokenFileContent()
        self._stamp: Stamp | None = None
        self._by_digest: dict[str, str] = {}
        # Named by the digest: processes given the same owner token name its grant alike, so
        # one of them can vouch for a member of another (RoomOwners looks it up by id).
        self._run: dict[str, Grant] = {
            digest: Grant(
                f"o-run-{digest[:16]}", GrantKind.OWNER, Role.OWNER, None, digest, clock()
            )
            for digest in run_owner_digests
        }
        with self._changing() as content:
            name = check_name(owner_name) if owner_name else content.owner.get("name") or "Owner"
            email = (
                check_email(owner_email)
                if owner_email is not None
                else content.owner.get("email", "")
            )
            if content.owner != {"name": name, "email": email}:
                content.owner = {"name": name, "email": email}

    # -- reading --------------------------------------------------------------------------

    @property
    def owner(self) -> User:
        profile = self._content.owner
        return User(OWNER_ID, profile.get("name", "Owner"), color_for(OWNER_ID),
                    profile.get("email", ""))  # fmt: skip

    def resolve(self, token: str | None, *, allow_invite: bool = False) -> Grant:
        """The grant of a token, or TokenError saying how to get a valid one. An invite
        resolves only with `allow_invite` (it is a ticket to join, not a credential)."""
        if not token:
            raise TokenError(
                "no token given: open the link pairbook printed, or ask the owner for one"
            )
        self.refresh()
        digest = hash_token(token)
        grant = self._run.get(digest)
        if grant is None:
            # The dict finds the candidate by digest (knowing a digest does not give the
            # token); the comparison that decides is constant-time.
            grant = self._content.grants.get(self._by_digest.get(digest, ""))
        if grant is None or not token_matches(token, grant.digest):
            raise TokenError(
                "unknown or revoked token: ask the notebook's owner for a new invite link"
            )
        if grant.is_invite:
            if grant.expired(self._clock()):
                raise TokenError("this invite link has expired: ask the owner for a new one")
            if not allow_invite:
                raise TokenError(
                    "this is an invite link, not a personal token: open it in the browser "
                    "and pick a name (or POST /api/join) to get your own token"
                )
        else:
            self._seen(grant)
        return self._with_user(grant)

    def valid(self, grant_id: str) -> bool:
        """Whether a grant still exists (a revoked one does not)."""
        self.refresh()
        return grant_id in self._content.grants or any(g.id == grant_id for g in self._run.values())

    def grant_of(self, grant_id: str, user_id: str) -> Grant:
        """The person's grant as the token file says now (re-read if another process changed
        it): TokenError when it was revoked, never existed, is an invite or is someone
        else's. What a process checks of a member another process vouches for."""
        self.refresh()
        run = {g.id: g for g in self._run.values()}
        grant = self._content.grants.get(grant_id) or run.get(grant_id)
        if grant is None or grant.is_invite:
            raise TokenError(
                "your access to this server was revoked: ask the notebook's owner for a new "
                "invite link"
            )
        grant = self._with_user(grant)
        if grant.user is None or grant.user.id != user_id:
            raise TokenError("this connection's token belongs to someone else; reconnect")
        return grant

    def people(self) -> list[Grant]:
        """Everyone who joined, oldest first."""
        self.refresh()
        return self._of_kind(GrantKind.PERSON)

    def invites(self) -> list[Grant]:
        """Invites that still work, oldest first."""
        self.refresh()
        now = self._clock()
        return [g for g in self._of_kind(GrantKind.INVITE) if not g.expired(now)]

    def owner_logins(self) -> list[Grant]:
        """The owner's stored logins (not the ones given for one run), oldest first."""
        self.refresh()
        return self._of_kind(GrantKind.OWNER)

    def users(self) -> list[User]:
        """The owner and everyone who joined, with their profiles."""
        return [self.owner, *(g.user for g in self.people() if g.user is not None)]

    def profiles(self) -> dict[str, User]:
        """`users()` by user id: their names and emails, for the owner's session summary."""
        return {user.id: user for user in self.users()}

    def refresh(self) -> bool:
        """Re-read the file if another process changed it; whether it had changed."""
        if self._file is None or self._file.stamp() == self._stamp:
            return False
        if not self._lock.acquire(blocking=False):
            return False  # a write is under way in another thread: it loads what it wrote
        try:
            stamp = self._file.stamp()  # before reading: a change meanwhile is read next time
            self._load(self._file.read(), stamp)
        finally:
            self._lock.release()
        return True

    # -- changing -------------------------------------------------------------------------

    def mint_owner(self, label: str = "") -> Minted:
        """A new owner login, kept (hashed) until revoked."""
        token = new_token()
        grant = Grant(new_id("o"), GrantKind.OWNER, Role.OWNER, None, hash_token(token),
                      self._clock(), label=label)  # fmt: skip
        with self._changing() as content:
            if label == START_LABEL:
                # The previous starts' links nobody opened are replaced by this one.
                for old in list(content.grants.values()):
                    if old.label == START_LABEL and old.last_seen is None:
                        del content.grants[old.id]
            content.grants[grant.id] = grant
        return Minted(token, self._with_user(grant))

    def adopt_owner_token(self, token: str, label: str) -> Grant:
        """Keep an existing owner token (an older pairbook's `owner-token` file) as a login."""
        digest = hash_token(token)
        with self._changing() as content:
            for grant in content.grants.values():
                if grant.digest == digest:
                    return grant
            grant = Grant(new_id("o"), GrantKind.OWNER, Role.OWNER, None, digest,
                          self._clock(), label=label)  # fmt: skip
            content.grants[grant.id] = grant
        return grant

    def mint_invite(
        self,
        role: Role,
        *,
        uses: int = DEFAULT_INVITE_USES,
        expires_in: float = DEFAULT_INVITE_SECONDS,
    ) -> Minted:
        """A new invite: up to `uses` people may join with `role` within `expires_in` s."""
        if role is Role.OWNER:
            raise AuthError("invites cannot grant the owner role")
        if not 1 <= uses <= MAX_INVITE_USES:
            raise AuthError(f"uses must be between 1 and {MAX_INVITE_USES}")
        if not 1 <= expires_in <= MAX_INVITE_SECONDS:
            raise AuthError(
                f"expires_in must be between 1 and {MAX_INVITE_SECONDS:.0f} seconds (90 days)"
            )
        token = new_token()
        now = self._clock()
        grant = Grant(new_id("i"), GrantKind.INVITE, role, None, hash_token(token), now,
                      uses_left=uses, expires=now + expires_in)  # fmt: skip
        with self._changing() as content:
            content.grants[grant.id] = grant
        return Minted(token, grant)

    def join(self, invite_token: str, name: str, email: str = "") -> Minted:
        """Spend one use of an invite on a new person with their own token.

        Raises TokenError (unknown, expired or used-up invite), AuthError (a bad name or
        email) or NameTakenError (another person has this name)."""
        display = check_name(name)
        address = check_email(email)
        digest = hash_token(invite_token)
        with self._changing() as content:
            # Under the file lock: two joins cannot both spend an invite's last use.
            invite = next((g for g in content.grants.values() if g.digest == digest), None)
            if invite is None or not token_matches(invite_token, invite.digest):
                raise TokenError(
                    "unknown or used-up invite link: ask the notebook's owner for a new one"
                )
            if not invite.is_invite:
                raise AuthError("this token is already personal: use it directly")
            if invite.expired(self._clock()) or not invite.uses_left:
                raise TokenError("this invite link has expired: ask the owner for a new one")
            key = name_key(display)
            taken = [content.owner.get("name", "Owner")] + [
                g.user.name for g in content.grants.values() if g.user is not None
            ]
            if any(name_key(other) == key for other in taken):
                raise NameTakenError(
                    f"the name {display!r} is already taken here: pick another "
                    f"(for example {display[: 64 - 2]} 2)"
                )
            user_id = UserId(new_id("u"))
            colors = [g.user.color for g in content.grants.values() if g.user is not None]
            color = color_beside(user_id, colors, owner=color_for(OWNER_ID))
            user = User(user_id, display, color, address)
            token = new_token()
            person = Grant(new_id("p"), GrantKind.PERSON, invite.role, user, hash_token(token),
                           self._clock(), label=f"joined with invite {invite.id}")  # fmt: skip
            content.grants[person.id] = person
            left = invite.uses_left - 1
            if left > 0:
                content.grants[invite.id] = dataclasses.replace(invite, uses_left=left)
            else:
                del content.grants[invite.id]
        return Minted(token, person)

    def revoke(self, target: str) -> list[Grant]:
        """Remove a grant by its id (`p-…`, `i-…`, `o-…`), or every grant of a person by
        their user id (`u-…`). Returns what was removed (empty: nothing matched)."""
        with self._changing() as content:
            gone = [
                g
                for g in content.grants.values()
                if g.id == target or (g.user is not None and g.user.id == target)
            ]
            for grant in gone:
                del content.grants[grant.id]
        return gone

    # -- internals ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _changing(self) -> Iterator[TokenFileContent]:
        """Read-modify-write the content under the file lock; writes only if it changed.
        Safe from several threads (the server runs writes off its event loop)."""
        with self._lock, self._change() as content:
            yield content

    @contextlib.contextmanager
    def _change(self) -> Iterator[TokenFileContent]:
        """As `_changing`, the thread lock already held."""
        if self._file is None:
            yield self._content
            self._prune(self._content)
            self._load(self._content)
            return
        with self._file.locked():
            content = self._file.read()
            before = self._snapshot(content)
            yield content
            self._prune(content)
            if content.migrated or self._snapshot(content) != before:
                content.migrated = False
                self._file.write(content)
            stamp = self._file.stamp()  # under the file lock: this write's, no later one
        self._load(content, stamp)

    def _prune(self, content: TokenFileContent) -> None:
        now = self._clock()
        for grant in list(content.grants.values()):
            if grant.expired(now):
                del content.grants[grant.id]

    @staticmethod
    def _snapshot(content: TokenFileContent) -> tuple[object, ...]:
        return (dict(content.owner), dict(content.grants))

    def _load(self, content: TokenFileContent, stamp: Stamp | None = None) -> None:
        self._content = content
        self._by_digest = {g.digest: g.id for g in content.grants.values()}
        self._stamp = stamp

    def _of_kind(self, kind: GrantKind) -> list[Grant]:
        grants = [g for g in self._content.grants.values() if g.kind is kind]
        return sorted((self._with_user(g) for g in grants), key=lambda g: g.created)

    def _with_user(self, grant: Grant) -> Grant:
        if grant.kind is GrantKind.OWNER:
            return dataclasses.replace(grant, user=self.owner)
        return grant

    def _seen(self, grant: Grant) -> None:
        now = self._clock()
        if grant.last_seen is not None and now - grant.last_seen < SEEN_EVERY:
            return
        if grant.digest in self._run:
            self._run[grant.digest] = dataclasses.replace(grant, last_seen=now)
            return
        if not self._lock.acquire(blocking=False):
            return  # a write is under way: the next request records the visit
        try:
            with self._change() as content:
                stored = content.grants.get(grant.id)
                if stored is not None:
                    content.grants[grant.id] = dataclasses.replace(stored, last_seen=now)
        finally:
            self._lock.release()
