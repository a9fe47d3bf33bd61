"""The token book: hashed at rest, invites spent and expiring, people unique and revocable."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pairbook.auth import START_LABEL, GrantKind, Role, TokenBook, color_for, hash_token
from pairbook.auth.grants import PALETTE, color_beside
from pairbook.errors import AuthError, NameTakenError, TokenError


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / ".pairbook" / "tokens.json"


def book_at(path: Path, clock: Clock, **kwargs: object) -> TokenBook:
    return TokenBook(path, clock=clock, **kwargs)  # type: ignore[arg-type]


def test_no_token_minted_is_kept_in_the_file(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    owner = book.mint_owner("laptop").token
    invite = book.mint_invite(Role.EDITOR, uses=2).token
    person = book.join(invite, "Ada").token
    text = path.read_text()
    for token in (owner, invite, person):
        assert token not in text
        assert hash_token(token) in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_minted_token_resolves_to_its_role_and_person(path: Path, clock: Clock) -> None:
    book = book_at(path, clock, owner_name="Ana")
    owner = book.mint_owner()
    assert book.resolve(owner.token).user == book.owner
    assert book.owner.name == "Ana"
    joined = book.join(book.mint_invite(Role.VIEWER).token, " Ada\x07 ", "ada@example.org")
    grant = book.resolve(joined.token)
    assert grant.role is Role.VIEWER
    assert grant.user is not None
    assert (grant.user.name, grant.user.email) == ("Ada", "ada@example.org")


def test_unknown_and_empty_tokens_are_refused(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    for token in ("", None, "nope", hash_token("nope")):
        with pytest.raises(TokenError):
            book.resolve(token)


def test_a_bare_invite_is_no_credential(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    invite = book.mint_invite(Role.EDITOR).token
    with pytest.raises(TokenError, match="invite link"):
        book.resolve(invite)
    assert book.resolve(invite, allow_invite=True).is_invite


def test_an_invite_is_single_use_by_default(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    invite = book.mint_invite(Role.EDITOR).token
    book.join(invite, "Ada")
    with pytest.raises(TokenError):
        book.join(invite, "Bo")
    assert book.invites() == []


def test_an_invite_with_a_use_cap_counts_down(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    invite = book.mint_invite(Role.EDITOR, uses=2)
    book.join(invite.token, "Ada")
    [left] = book.invites()
    assert left.uses_left == 1
    book.join(invite.token, "Bo")
    with pytest.raises(TokenError):
        book.join(invite.token, "Cy")


def test_an_invite_expires(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    invite = book.mint_invite(Role.EDITOR, expires_in=60).token
    clock.now += 60
    with pytest.raises(TokenError, match="expired"):
        book.resolve(invite, allow_invite=True)
    with pytest.raises(TokenError):
        book.join(invite, "Ada")
    assert book.invites() == []


def test_invite_limits_are_checked(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    for kwargs in ({"uses": 0}, {"uses": 10_000}, {"expires_in": 0}, {"expires_in": 1e9}):
        with pytest.raises(AuthError):
            book.mint_invite(Role.EDITOR, **kwargs)
    with pytest.raises(AuthError):
        book.mint_invite(Role.OWNER)


def test_a_name_another_person_has_is_refused_whatever_its_case(path: Path, clock: Clock) -> None:
    book = book_at(path, clock, owner_name="Ana Lima")
    book.join(book.mint_invite(Role.EDITOR).token, "Ada")
    invite = book.mint_invite(Role.EDITOR).token
    for taken in ("ada", " ADA ", "ana  lima"):
        with pytest.raises(NameTakenError, match="already taken"):
            book.join(invite, taken)
    book.join(invite, "Ada B")  # the refused tries did not spend the invite


@pytest.mark.parametrize(
    "email",
    [
        "a@b.org\nSigned-off-by: Eve <eve@evil.org>",
        "Ada <ada@example.org>",
        "ada@example.org>, eve@evil.org",
        "ada @example.org",
        "ada@localhost",
        "a" * 250 + "@example.org",
        "ada@exa\u2028mple.org",
    ],
)
def test_an_email_that_is_not_a_plain_address_is_refused(
    path: Path, clock: Clock, email: str
) -> None:
    book = book_at(path, clock)
    invite = book.mint_invite(Role.EDITOR).token
    with pytest.raises(AuthError, match="plain address"):
        book.join(invite, "Ada", email)


def test_a_name_with_angle_brackets_is_refused(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    with pytest.raises(AuthError, match="< or >"):
        book.join(book.mint_invite(Role.EDITOR).token, "Eve <eve@evil.org>")
    with pytest.raises(AuthError):
        book_at(path, clock, owner_email="x\n@y.org")


def test_revoking_a_person_or_an_invite_stops_their_token(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    ada = book.join(book.mint_invite(Role.EDITOR).token, "Ada")
    invite = book.mint_invite(Role.VIEWER)
    assert ada.grant.user is not None
    [gone] = book.revoke(ada.grant.user.id)
    assert gone.id == ada.grant.id
    assert book.revoke(invite.grant.id)[0].kind is GrantKind.INVITE
    for token in (ada.token, invite.token):
        with pytest.raises(TokenError):
            book.resolve(token, allow_invite=True)
    assert book.revoke("u-nobody") == []
    assert book.revoke("owner") == []  # the owner's logins are revoked one by one


def test_a_change_by_another_process_is_seen(path: Path, clock: Clock) -> None:
    server = book_at(path, clock)
    cli = book_at(path, clock)
    minted = cli.mint_owner("from the shell")
    assert server.resolve(minted.token).role is Role.OWNER
    cli.revoke(minted.grant.id)
    assert not server.valid(minted.grant.id)
    with pytest.raises(TokenError):
        server.resolve(minted.token)


def test_run_owner_tokens_work_but_are_never_written(path: Path, clock: Clock) -> None:
    book = book_at(path, clock, run_owner_digests=[hash_token("given")])
    assert book.resolve("given").role is Role.OWNER
    assert hash_token("given") not in path.read_text()
    assert book.owner_logins() == []


def test_start_links_nobody_opened_are_replaced_at_the_next_start(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    opened = book.mint_owner(START_LABEL)
    book.resolve(opened.token)
    unopened = book.mint_owner(START_LABEL)
    kept = book.mint_owner("laptop")
    latest = book.mint_owner(START_LABEL)
    ids = {g.id for g in book.owner_logins()}
    assert ids == {opened.grant.id, kept.grant.id, latest.grant.id}
    assert unopened.grant.id not in ids


def test_last_seen_is_written_at_most_once_a_minute(path: Path, clock: Clock) -> None:
    book = book_at(path, clock)
    login = book.mint_owner()
    book.resolve(login.token)
    stamp = path.stat().st_mtime_ns, path.stat().st_ino
    clock.now += 30
    book.resolve(login.token)
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == stamp
    clock.now += 31
    book.resolve(login.token)
    [grant] = book.owner_logins()
    assert grant.last_seen == clock.now


def test_a_version_1_file_is_migrated_to_digests(path: Path, clock: Clock) -> None:
    path.parent.mkdir(parents=True)
    user = {"id": "u-ada", "name": "Ada", "color": "#e6194b", "email": "ada@example.org"}
    path.write_text(
        json.dumps(
            {
                "owner": {"name": "Ana", "email": ""},
                "grants": [
                    {"token": "personal-secret", "role": "editor", "user": user},
                    {"token": "invite-secret", "role": "viewer", "user": None},
                ],
            }
        )
    )
    book = book_at(path, clock)
    text = path.read_text()
    assert "personal-secret" not in text
    assert "invite-secret" not in text
    grant = book.resolve("personal-secret")
    assert grant.user is not None
    assert grant.user.name == "Ada"
    [invite] = book.invites()
    assert (invite.uses_left, invite.expires) == (1, clock.now + 7 * 86400)
    assert book.owner.name == "Ana"


def test_a_memory_book_works_without_a_file(clock: Clock) -> None:
    book = TokenBook(None, clock=clock)
    joined = book.join(book.mint_invite(Role.EDITOR).token, "Ada")
    assert book.resolve(joined.token).role is Role.EDITOR


def test_concurrent_joins_never_spend_more_uses_than_an_invite_has(
    path: Path, clock: Clock
) -> None:
    owner = book_at(path, clock)
    invite = owner.mint_invite(Role.EDITOR, uses=5).token
    books = [owner, book_at(path, clock)]  # the server's threads and another process's book

    def attempt(i: int) -> bool:
        try:
            books[i % 2].join(invite, f"Person {i}")
        except TokenError:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        joined = list(pool.map(attempt, range(20)))
    assert sum(joined) == 5
    assert len(owner.people()) == len(books[1].people()) == 5


def test_a_grant_is_looked_up_by_id_as_the_file_says_now(path: Path, clock: Clock) -> None:
    book, other = book_at(path, clock), book_at(path, clock)  # two processes, one file
    joined = book.join(book.mint_invite(Role.VIEWER).token, "Ada")
    grant = book.resolve(joined.token)
    assert grant.user is not None
    found = other.grant_of(grant.id, grant.user.id)
    assert (found.role, found.user) == (Role.VIEWER, grant.user)
    with pytest.raises(TokenError, match="belongs to someone else"):
        other.grant_of(grant.id, "u-eve")
    book.revoke(grant.user.id)
    with pytest.raises(TokenError, match="revoked"):
        other.grant_of(grant.id, grant.user.id)
    invite = book.resolve(book.mint_invite(Role.EDITOR).token, allow_invite=True)
    for grant_id in ("", "nope", invite.id):
        with pytest.raises(TokenError):
            other.grant_of(grant_id, grant.user.id)


def test_processes_given_one_owner_token_name_its_grant_alike(path: Path, clock: Clock) -> None:
    digest = hash_token("the-owner-token")
    a = book_at(path, clock, run_owner_digests=[digest])
    b = book_at(path, clock, run_owner_digests=[hash_token("another"), digest])
    grant = a.resolve("the-owner-token")
    assert b.grant_of(grant.id, a.owner.id).role is Role.OWNER


def test_people_who_join_are_told_apart_by_color_while_the_palette_lasts(
    path: Path, clock: Clock
) -> None:
    book = book_at(path, clock)
    invite = book.mint_invite(Role.EDITOR, uses=len(PALETTE) + 1).token
    joined = [book.join(invite, f"Person {i}").grant.user for i in range(len(PALETTE))]
    colors = [book.owner.color] + [user.color for user in joined if user is not None]
    assert sorted(colors[: len(PALETTE)]) == sorted(PALETTE)  # the owner and 11 people
    assert colors[-1] in PALETTE  # the 13th shares a color: there is none left
    again = book_at(path, clock)  # the color is the person's, kept in the file
    assert [u.color for u in again.users()] == colors


def test_a_person_keeps_their_own_color_when_nobody_holds_it() -> None:
    assert color_beside("u-ada", []) == color_for("u-ada")
    assert color_beside("u-ada", [color_for("u-ada")]) == next(
        c for c in PALETTE if c != color_for("u-ada")
    )


def test_past_the_palette_no_one_joins_in_the_owners_color() -> None:
    owner = color_for("owner")
    twin = next(f"u-{i}" for i in range(1000) if color_for(f"u-{i}") == owner)
    others = [color for color in PALETTE if color != owner]  # 11 people, one color each
    # The 13th person of the folder hashes to the owner's color: they get another one
    # (before: their own, the owner's, as every color was held).
    assert color_beside(twin, others, owner=owner) == others[0]
    # The next ones spread over the least held colors, never the owner's.
    assert color_beside(twin, [*others, others[0]], owner=owner) == others[1]
    assert color_beside(twin, [*others, *others], owner=owner) == others[0]
    assert color_beside(twin, [], owner=owner) == others[0]
