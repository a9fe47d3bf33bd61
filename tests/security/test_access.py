"""Stealing or escalating access (issue #12): tokens at rest, invites, people, trailers.

Every test runs against a real `pairbook serve` process; the CLI commands run as processes
beside it, as an owner would run them."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from support.client import RawPeer, YClient
from support.server import OWNER_TOKEN, PAIRBOOK, ServerProcess

NB = "demo.ipynb"
TOKENISH = re.compile(rb"[A-Za-z0-9_\-]{16,}")


def pairbook(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PAIRBOOK), *args], capture_output=True, text=True, timeout=60, check=False
    )


def printed_owner_token(server: ServerProcess) -> str:
    found = re.findall(r"Open this link \(you are the owner; keep it secret\): (\S+)", server.log())
    assert found, server.log()
    return unquote(found[-1].split("?token=", 1)[1])


def mint_invite(
    server: ServerProcess, role: str = "editor", owner: str = OWNER_TOKEN, **extra: object
) -> dict[str, object]:
    status, body = server.request("POST", "/api/invites", {"role": role, **extra}, token=owner)
    assert status == 201, body
    assert isinstance(body, dict)
    return body


def join(server: ServerProcess, invite: str, name: str, email: str = "") -> tuple[int, object]:
    return server.request(
        "POST", "/api/join", {"invite": invite, "name": name, "email": email}, token=None
    )


def personal_token(
    server: ServerProcess, name: str, role: str = "editor", owner: str = OWNER_TOKEN
) -> tuple[str, str]:
    status, joined = join(server, str(mint_invite(server, role, owner)["token"]), name)
    assert status == 201, joined
    assert isinstance(joined, dict)
    return str(joined["token"]), str(joined["user"]["id"])


def write_legacy_state(workdir: Path, people: list[dict[str, object]]) -> None:
    """A `.pairbook/` as an older pairbook left it: plain tokens on disk."""
    state = workdir / ".pairbook"
    state.mkdir(parents=True, exist_ok=True)
    (state / "owner-token").write_text("legacy-owner-token-0123456789\n")
    grants = [*people, {"token": "legacy-invite-token-0123456789", "role": "viewer", "user": None}]
    (state / "tokens.json").write_text(json.dumps({"owner": {}, "grants": grants}))


def test_the_state_folder_holds_no_usable_token(workdir: Path, store_path: str) -> None:
    bo = {"id": "u-bo", "name": "Bo", "color": "#e6194b", "email": ""}
    write_legacy_state(
        workdir, [{"token": "legacy-bo-token-0123456789", "role": "editor", "user": bo}]
    )
    store = str(workdir / ".pairbook" / "pairbook.sqlite")  # the log in the state folder too
    with ServerProcess(workdir, store=store, owner_token=None) as server:
        owner = printed_owner_token(server)
        assert server.get("/api/me", token=owner)[1]["role"] == "owner"  # type: ignore[index]
        # What an older pairbook handed out keeps working, from digests now.
        assert server.get("/api/me", token="legacy-owner-token-0123456789")[0] == 200
        assert server.get("/api/me", token="legacy-bo-token-0123456789")[0] == 200
        minted = [owner, str(mint_invite(server, owner=owner, uses=3)["token"])]
        minted += [personal_token(server, "Ada", owner=owner)[0]]
        minted += [personal_token(server, "Vi", "viewer", owner)[0]]
        async_edit_as(server, minted[2])
        assert usable_tokens_in(workdir / ".pairbook", server, minted) == []
        assert not (workdir / ".pairbook" / "owner-token").exists()
        done = pairbook("token", str(workdir))
        assert done.returncode == 0, done.stderr
        minted.append(unquote(done.stdout.split("?token=", 1)[1].strip()))
        assert usable_tokens_in(workdir / ".pairbook", server, minted) == []


def usable_tokens_in(folder: Path, server: ServerProcess, minted: list[str]) -> list[str]:
    """Every token-like string in the folder's files that the server accepts."""
    candidates: set[str] = set()
    for path in folder.rglob("*"):
        if path.is_file():
            candidates |= {m.decode() for m in TOKENISH.findall(path.read_bytes())}
    assert candidates  # the digests, ids and the log's bytes: all tried below
    found = [t for t in minted if t in candidates]
    return found + [t for t in candidates if server.get("/api/me", token=t)[0] != 401]


def async_edit_as(server: ServerProcess, token: str) -> None:
    """One edit through the websocket, so the log and the recorder hold this person."""

    async def edit() -> None:
        async with YClient(server.ws_url(NB, token)) as client:
            await client.set_source(1, "x = 2")

    asyncio.run(edit())


def test_the_printed_owner_link_works_and_a_fresh_one_is_printed_each_start(
    workdir: Path, store_path: str
) -> None:
    with ServerProcess(workdir, store=store_path, owner_token=None) as server:
        first = printed_owner_token(server)
        status, me = server.get("/api/me", token=first)
        assert status == 200
        assert me["role"] == "owner"  # type: ignore[index]
    with ServerProcess(workdir, store=store_path, owner_token=None) as server:
        second = printed_owner_token(server)
        assert second != first
        assert server.get("/api/me", token=second)[0] == 200
        assert server.get("/api/me", token=first)[0] == 200  # opened once: kept until revoked
    assert first not in (workdir / ".pairbook" / "tokens.json").read_text()


def test_pairbook_token_mints_a_working_token_while_the_server_runs(server: ServerProcess) -> None:
    done = pairbook("token", str(server.root))
    assert done.returncode == 0, done.stderr
    token = unquote(done.stdout.split("?token=", 1)[1].strip())
    status, me = server.get("/api/me", token=token)
    assert status == 200, me
    assert me["role"] == "owner"  # type: ignore[index]
    invited = pairbook("token", str(server.root), "--role", "viewer")
    assert invited.returncode == 0, invited.stderr
    invite = unquote(invited.stdout.split("?token=", 1)[1].strip())
    status, joined = join(server, invite, "Vera")
    assert status == 201, joined
    assert joined["role"] == "viewer"  # type: ignore[index]


def test_an_invite_is_spent_by_one_join(server: ServerProcess) -> None:
    invite = str(mint_invite(server)["token"])
    assert join(server, invite, "Ada")[0] == 201
    status, body = join(server, invite, "Bo")
    assert status == 401, body
    assert server.get("/api/me", token=invite)[0] == 401


def test_an_invite_with_a_use_cap_admits_that_many(server: ServerProcess) -> None:
    invite = str(mint_invite(server, uses=2)["token"])
    assert join(server, invite, "Ada")[0] == 201
    assert join(server, invite, "Bo")[0] == 201
    assert join(server, invite, "Cy")[0] == 401


def test_invite_limits_are_checked(server: ServerProcess) -> None:
    for extra in ({"uses": 0}, {"uses": 1001}, {"uses": "2"}, {"expires_in": 1e9}):
        status, body = server.request("POST", "/api/invites", {"role": "editor", **extra})
        assert status == 400, (extra, body)
    assert server.request("POST", "/api/invites", {"role": "owner"})[0] == 400


def test_an_expired_invite_is_refused(server: ServerProcess) -> None:
    body = mint_invite(server, expires_in=1)
    expires = float(body["expires"])  # type: ignore[arg-type]
    while time.time() <= expires:  # the server's clock is this machine's
        time.sleep(0.05)
    status, refused = join(server, str(body["token"]), "Ada")
    assert status == 401
    assert "invite" in str(refused)


async def test_a_bare_invite_is_refused_on_the_websocket_and_the_api(
    server: ServerProcess,
) -> None:
    invite = str(mint_invite(server)["token"])
    async with RawPeer(server.ws_url(NB, invite)) as peer:
        code, reason = await peer.closed_with()
    assert code == 4401
    assert "join" in reason
    for path in (
        "/api/notebooks",
        f"/api/replay/{NB}/timeline",
        f"/api/requirements/{NB}",
        f"/api/download/{NB}",
    ):
        assert server.get(path, token=invite)[0] == 401, path
    status, me = server.get("/api/me", token=invite)  # the join page asks what it is
    assert (status, me) == (200, {"role": "editor", "user": None, "invite": True})


async def test_revoking_a_person_closes_their_socket_and_their_token(
    server: ServerProcess,
) -> None:
    token, user_id = personal_token(server, "Mallory")
    async with RawPeer(server.ws_url(NB, token)) as mallory:
        await mallory.recv()  # the server's sync step 1: Mallory is in the room
        status, people = server.get("/api/people")
        assert status == 200
        assert [p["user"]["name"] for p in people["people"]] == ["Mallory"]  # type: ignore[index]
        status, revoked = server.request("DELETE", f"/api/people/{user_id}")
        assert status == 200, revoked
        assert revoked["closed"] == 1  # type: ignore[index]
        code, reason = await mallory.closed_with()
    assert code == 4401
    assert "revoked" in reason
    assert server.get("/api/me", token=token)[0] == 401
    async with RawPeer(server.ws_url(NB, token)) as again:
        assert (await again.closed_with())[0] == 4401
    assert server.get("/api/people")[1]["people"] == []  # type: ignore[index]


async def test_pairbook_revoke_closes_a_live_socket_while_the_server_runs(
    server: ServerProcess,
) -> None:
    token, user_id = personal_token(server, "Mallory")
    async with RawPeer(server.ws_url(NB, token)) as mallory:
        await mallory.recv()
        listed = pairbook("people", str(server.root))
        assert user_id in listed.stdout
        done = pairbook("revoke", str(server.root), user_id)
        assert done.returncode == 0, done.stderr
        code, _ = await mallory.closed_with()
    assert code == 4401
    assert server.get("/api/me", token=token)[0] == 401


def test_an_open_invite_can_be_revoked(server: ServerProcess) -> None:
    invite = mint_invite(server, uses=5)
    _, people = server.get("/api/people")
    [listed] = people["invites"]  # type: ignore[index]
    assert (listed["id"], listed["uses_left"]) == (invite["id"], 5)
    assert "token" not in listed
    assert server.request("DELETE", f"/api/invites/{invite['id']}")[0] == 200
    assert join(server, str(invite["token"]), "Ada")[0] == 401
    assert server.request("DELETE", f"/api/invites/{invite['id']}")[0] == 404


def test_only_the_owner_sees_and_revokes_people(server: ServerProcess) -> None:
    token, user_id = personal_token(server, "Ed")
    assert server.get("/api/people", token=token)[0] == 403
    assert server.request("DELETE", f"/api/people/{user_id}", token=token)[0] == 403


def test_a_name_another_person_has_is_refused(server: ServerProcess) -> None:
    personal_token(server, "Ada Lovelace")
    invite = str(mint_invite(server)["token"])
    status, body = join(server, invite, "ada  LOVELACE")
    assert status == 409
    assert "already taken" in str(body)
    assert join(server, invite, "Owner")[0] == 409  # the owner's name too
    assert join(server, invite, "Ada King")[0] == 201  # refusals did not spend the invite


def test_a_join_email_with_a_line_break_is_refused(server: ServerProcess) -> None:
    invite = str(mint_invite(server)["token"])
    evil = "eve@example.org>\nSigned-off-by: Linus Torvalds <torvalds@linux-foundation.org"
    status, body = join(server, invite, "Eve", evil)
    assert status == 400
    assert "plain address" in str(body)
    assert join(server, invite, "Eve <torvalds@linux-foundation.org>")[0] == 400
    assert "Signed-off-by" not in (server.root / ".pairbook" / "tokens.json").read_text()


async def test_trailers_are_clean_even_from_a_profile_saved_before(
    workdir: Path, store_path: str
) -> None:
    eve = {
        "id": "u-eve",
        "name": "Eve\nSigned-off-by: Mallory <m@evil.org>",
        "color": "#e6194b",
        "email": "eve@example.org>\nSigned-off-by: Linus Torvalds <torvalds@linux-foundation.org",
    }
    write_legacy_state(
        workdir, [{"token": "legacy-eve-token-0123456789", "role": "editor", "user": eve}]
    )
    with ServerProcess(workdir, store=store_path) as server:
        async with YClient(server.ws_url(NB, "legacy-eve-token-0123456789")) as client:
            await client.set_source(1, "x = 'by Eve'")
    done = await asyncio.to_thread(
        pairbook, "commit", str(workdir / NB), "--dry-run", "--store", store_path
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    trailers = [line for line in lines if line.endswith(">")]
    assert trailers == [
        "Co-authored-by: Eve Signed-off-by: Mallory m@evil.org <u-eve@users.pairbook.invalid>"
    ]
    assert not any(line.startswith("Signed-off-by") for line in lines)


def test_owner_flags_are_checked(workdir: Path) -> None:
    done = pairbook("serve", str(workdir), "--port", "0", "--owner-email", "a@b.org\nX: y")
    assert done.returncode == 2
    assert "plain address" in done.stderr
    done = pairbook("serve", str(workdir), "--port", "0", "--owner-name", "Eve <e@x.org>")
    assert done.returncode == 2
    assert "< or >" in done.stderr


@pytest.mark.parametrize("missing", ["people", "revoke"])
def test_access_commands_need_a_served_folder(tmp_path: Path, missing: str) -> None:
    args = [missing, str(tmp_path)] + (["u-x"] if missing == "revoke" else [])
    done = pairbook(*args)
    assert done.returncode == 2
    assert "tokens.json" in done.stderr


async def test_the_owner_revokes_a_person_from_the_people_panel(server: ServerProcess) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    from support.browser import NotebookTab, chromium, invite

    async with chromium() as browser:
        owner = await NotebookTab.open(browser, server, NB)
        bob = await NotebookTab.open(
            browser, server, NB, token=invite(server, "editor"), join_as="Bob"
        )
        page = owner.page
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await page.get_by_role("button", name="People and access").click()
        people = page.get_by_role("table", name="People")
        await playwright_api.expect(people).to_contain_text("Bob")
        await playwright_api.expect(people).to_contain_text("1 connection")
        await page.get_by_role("button", name="Revoke Bob").click()
        dialog = page.get_by_role("dialog", name="People and access")
        await playwright_api.expect(dialog.get_by_role("status")).to_contain_text("Revoked Bob")
        await playwright_api.expect(dialog).to_contain_text("Nobody has joined yet")
        await bob.page.locator(".status[data-state=denied]").wait_for()
        await playwright_api.expect(bob.page.locator("body")).to_contain_text("revoked")
        await playwright_api.expect(page.locator(".participants .person")).to_have_count(1)
        assert owner.errors == []
