"""The owner takes a forwarded member's role and standing from its own token book, on two
real `pairbook serve` processes: a process that lies about a member's role, or forwards for
someone whose access was revoked on another process, gets a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from cluster.test_forward import Owner, reading
from pairbook.auth import Role, User
from pairbook.cluster import Forwarder
from pairbook.service import Member
from support.client import YClient
from support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.cluster]


def broker_of(server: ServerProcess) -> tuple[str, str]:
    """The Redis URL and key prefix the server was started with (--broker URL?prefix=…)."""
    url = server.args[server.args.index("--broker") + 1]
    address, _, prefix = url.partition("?prefix=")
    return address, prefix


def person(server: ServerProcess, role: str, name: str) -> dict[str, Any]:
    """A person invited with `role` who joined; their grant as the owner's People panel
    lists it (id, user)."""
    server.join(role, name)
    _, people = server.request("GET", "/api/people")
    return next(p for p in people["people"] if p["user"]["name"] == name)  # type: ignore[index]


async def test_the_owner_decides_with_its_own_token_book_not_the_forwarders_word(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    vi = person(b, "viewer", "Vi")
    address, prefix = broker_of(a)
    redis = Redis.from_url(address)
    liar = Forwarder(redis, "liar", Owner(), prefix=f"{prefix}owner:", timeout=10, block=0.2)
    try:
        async with YClient(a.ws_url("demo.ipynb")), reading(liar):  # A opens the room: owns it
            held = await redis.get(f"{prefix}owner:lease:demo.ipynb")
            assert isinstance(held, bytes)
            lease = held.decode()
            owner = lease.rpartition(" ")[0]

            async def ask(role: Role, command: str) -> dict[str, Any]:
                user = User.from_json(vi["user"])
                member = Member("forged-1", user, role, frozenset(), vi["id"])
                body = {"id": 1, "command": command, "cells": ["code-0"]}
                return await liar.request(owner, "demo.ipynb", member, body)

            # The forwarder says Vi is an owner: the owner's book says viewer.
            reply = await ask(Role.OWNER, "run")
            assert reply["ok"] is False
            assert "viewers" in reply["error"]
            assert (await ask(Role.VIEWER, "whoami"))["ok"] is True
            # Vi's access is revoked through B: A refuses whatever the forwarder says.
            status, _ = b.request("DELETE", f"/api/people/{vi['user']['id']}")
            assert status == 200
            reply = await ask(Role.VIEWER, "whoami")
            assert reply["ok"] is False
            assert "revoked" in reply["error"]
    finally:
        await redis.aclose()


async def test_a_forwarded_member_must_be_the_person_of_the_grant_it_names(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    bo = person(b, "editor", "Bo")
    address, prefix = broker_of(a)
    redis = Redis.from_url(address)
    liar = Forwarder(redis, "liar", Owner(), prefix=f"{prefix}owner:", timeout=10, block=0.2)
    try:
        async with YClient(a.ws_url("demo.ipynb")), reading(liar):
            held = await redis.get(f"{prefix}owner:lease:demo.ipynb")
            assert isinstance(held, bytes)
            lease = held.decode()
            owner = lease.rpartition(" ")[0]
            someone = User.from_json({"id": "u-someone-else", "name": "Eve"})
            member = Member("forged-2", someone, Role.EDITOR, frozenset(), bo["id"])
            reply = await liar.request(owner, "demo.ipynb", member, {"id": 2, "command": "whoami"})
            assert reply["ok"] is False
            assert "belongs to someone else" in reply["error"]
            member = Member("forged-3", someone, Role.EDITOR, frozenset(), "")
            reply = await liar.request(owner, "demo.ipynb", member, {"id": 3, "command": "whoami"})
            assert reply["ok"] is False
    finally:
        await redis.aclose()
