"""`pairbook token`, `pairbook people`, `pairbook revoke`: the owner's access, from a shell.

They edit the served folder's token file (`.pairbook/tokens.json`) directly, so they work
with the server running or stopped; a running server picks the change up on its next
request, and a revocation closes the person's connections within a second.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pairbook.auth import START_LABEL, Grant, Role, TokenBook, hash_token
from pairbook.cli.console import fail
from pairbook.cli.workspace import add_folder_argument, add_state_argument, state_of
from pairbook.errors import PairbookError
from pairbook.statedir import NAME, StateDir

ACCESS_COMMANDS: dict[str, tuple[str, str | None]] = {
    "token": (
        "mint a token: an owner login (default) or an invite link",
        "Mints an owner login (default) or an editor/viewer invite and prints it once (only "
        "its hash is kept). Works while the server runs.",
    ),
    "people": ("list the people, open invites and owner logins (ids to revoke)", None),
    "revoke": (
        "revoke a person (u-…), an invite (i-…) or an owner login (o-…)",
        "Removes the grant(s) at once; a running server closes the person's connections "
        "within a second (close code 4401).",
    ),
}
"""The access commands: name -> (help, description)."""


def add_access_parsers(commands: Any) -> None:
    parsers = {}
    for name, (summary, description) in ACCESS_COMMANDS.items():
        parsers[name] = commands.add_parser(name, help=summary, description=description)
        add_folder_argument(parsers[name])
        add_state_argument(parsers[name])
    token = parsers["token"]
    token.add_argument("--role", choices=[r.value for r in Role], default=Role.OWNER.value)
    token.add_argument("--label", default="minted with `pairbook token`", help="a note")
    token.add_argument("--uses", type=int, default=1, help="invites: how many people may join")
    token.add_argument(
        "--expires-in", type=float, default=7 * 86400.0, help="invites: seconds it stays valid"
    )
    parsers["revoke"].add_argument("id", help="an id from `pairbook people`")


def access_command(args: argparse.Namespace, root: Path) -> int:
    """Run `token`, `people` or `revoke` against the folder served from `root`."""
    state = state_of(root, args.state_dir)
    if args.command != "token" and not state.tokens.exists():
        where = f"{root} has no {NAME}" if args.state_dir is None else f"no {state.path}"
        return fail(f"{where}/{state.tokens.name}; is it the folder pairbook serves?")
    if not root.is_dir():
        return fail(f"{root} is not a folder; pass the folder pairbook serves")
    try:
        state.create()
        book = TokenBook(state.tokens)
        if args.command == "token":
            return _mint(book, args, state)
        if args.command == "people":
            return _list(book)
        return _revoke(book, args.id)
    except PairbookError as exc:
        return fail(str(exc))


def owner_login(
    state: StateDir, given: str | None, owner_name: str | None, owner_email: str | None
) -> tuple[str, tuple[str, ...]]:
    """The owner's link for this start and the digests valid for this run only.

    An older pairbook's plain `owner-token` file becomes a stored login and is deleted.
    `--owner-token` is valid for this run only; otherwise a fresh login is minted and kept
    (hashed) until revoked, and the previous starts' links nobody opened are dropped.
    Raises AuthError for an owner name or email that is not usable."""
    book = TokenBook(state.tokens, owner_name=owner_name, owner_email=owner_email)
    legacy = state.legacy_owner_token
    if legacy.exists():
        book.adopt_owner_token(legacy.read_text().strip(), "kept from an older pairbook")
        legacy.unlink()
    if given:
        return given, (hash_token(given),)
    return book.mint_owner(START_LABEL).token, ()


def note_server_url(state: StateDir, url: str) -> None:
    """Where the server listens, for the links `pairbook token` prints (0600, as everything
    in the state folder)."""
    path = state.server_url
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(url + "\n")
    path.chmod(0o600)


def _link(state: StateDir, token: str) -> str:
    try:
        base = state.server_url.read_text().strip()
    except OSError:
        base = "http://localhost:8888"
    return f"{base}/?token={quote(token)}"


def _mint(book: TokenBook, args: argparse.Namespace, state: StateDir) -> int:
    role = Role(args.role)
    if role is Role.OWNER:
        minted = book.mint_owner(args.label)
        print(
            f"owner login {minted.grant.id} (revoke with `pairbook revoke DIR {minted.grant.id}`)"
        )
    else:
        minted = book.mint_invite(role, uses=args.uses, expires_in=args.expires_in)
        print(f"{role.value} invite {minted.grant.id}: {args.uses} use(s), {_until(minted.grant)}")
    print(_link(state, minted.token))
    return 0


def _list(book: TokenBook) -> int:
    rows: list[tuple[str, ...]] = [("id", "kind", "role", "name", "created", "last seen", "left")]
    for grant in book.owner_logins():
        rows.append((grant.id, "owner login", "owner", grant.label, *_times(grant), ""))
    for grant in book.people():
        assert grant.user is not None
        rows.append(
            (grant.user.id, "person", grant.role.value, grant.user.name, *_times(grant), "")
        )
    for grant in book.invites():
        rows.append((grant.id, "invite", grant.role.value, "", *_times(grant),
                     f"{grant.uses_left} use(s), {_until(grant)}"))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _revoke(book: TokenBook, target: str) -> int:
    gone = book.revoke(target)
    if not gone:
        return fail(f"nothing to revoke with id {target!r}: see `pairbook people`")
    for grant in gone:
        who = grant.user.name if grant.user is not None else grant.label or grant.kind.value
        print(f"revoked {grant.kind.value} {grant.id} ({who})")
    return 0


def _times(grant: Grant) -> tuple[str, str]:
    seen = "-" if grant.last_seen is None else _when(grant.last_seen)
    return _when(grant.created), seen


def _until(grant: Grant) -> str:
    return "no expiry" if grant.expires is None else f"until {_when(grant.expires)}"


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))
