"""Forwarder against the real Redis: a command from a member on process B runs on owner A
with the member's identity and role, and the reply comes back to B."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from pairbook.auth import Role, User
from pairbook.cluster import Forwarder
from pairbook.errors import ClusterError
from pairbook.service import Member
from pairbook.types import UserId

pytestmark = pytest.mark.cluster

GRACE = Member("conn-7", User(UserId("grace"), "Grace", "#aa0000"), Role.EDITOR, frozenset({12}))


class Owner:
    """A runner that records what it was asked and answers as a room would."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Member, dict[str, Any]]] = []

    async def __call__(self, room: str, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        self.asked.append((room, member, body))
        if body.get("command") == "explode":
            raise RuntimeError("boom")
        if body.get("command") == "too-soon":
            raise ClusterError("this server process is starting; try again in a moment")
        if member.role is Role.VIEWER:
            return {"id": body.get("id"), "ok": False, "error": "viewers cannot send 'run'"}
        return {"id": body.get("id"), "ok": True, "result": {"ran_by": member.user.id}}


@contextlib.asynccontextmanager
async def reading(*forwarders: Forwarder) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(f.run()) for f in forwarders]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def pair(redis: Redis, prefix: str, timeout: float = 5.0) -> tuple[Owner, Forwarder, Forwarder]:
    owner = Owner()
    a = Forwarder(redis, "a", owner, prefix=prefix, timeout=timeout, block=0.2)
    b = Forwarder(redis, "b", Owner(), prefix=prefix, timeout=timeout, block=0.2)
    return owner, a, b


async def test_a_command_runs_on_the_owner_as_the_member_who_sent_it(
    redis: Redis, prefix: str
) -> None:
    owner, a, b = pair(redis, prefix)
    async with reading(a, b):
        body = {"command": "run", "id": 3, "cells": ["c1"]}
        reply = await b.request("a", "demo.ipynb", GRACE, body)
    assert reply == {"id": 3, "ok": True, "result": {"ran_by": "grace"}}
    assert owner.asked == [("demo.ipynb", GRACE, body)]


async def test_concurrent_commands_get_their_own_replies(redis: Redis, prefix: str) -> None:
    _, a, b = pair(redis, prefix)
    async with reading(a, b):
        replies = await asyncio.gather(
            *(b.request("a", "demo.ipynb", GRACE, {"command": "run", "id": i}) for i in range(20))
        )
    assert [r["id"] for r in replies] == list(range(20))


async def test_the_owner_decides_with_the_role_the_member_has(redis: Redis, prefix: str) -> None:
    _, a, b = pair(redis, prefix)
    viewer = Member("conn-8", User(UserId("ada"), "Ada", "#00aa00"), Role.VIEWER)
    async with reading(a, b):
        reply = await b.request("a", "demo.ipynb", viewer, {"command": "run", "id": 1})
    assert reply == {"id": 1, "ok": False, "error": "viewers cannot send 'run'"}


async def test_an_owner_that_does_not_answer_is_a_clear_error(redis: Redis, prefix: str) -> None:
    _, _, b = pair(redis, prefix, timeout=0.5)
    async with reading(b):
        with pytest.raises(ClusterError, match=r"did not answer within 0\.5 s.*try again"):
            await b.request("gone", "demo.ipynb", GRACE, {"command": "run", "id": 1})


async def test_a_request_read_after_its_sender_gave_up_is_not_run(
    redis: Redis, prefix: str
) -> None:
    owner, a, _ = pair(redis, prefix, timeout=1.0)
    late = _request("late", GRACE_JSON, {"command": "run", "id": 1})
    await redis.xadd(a.inbox("a"), late, id="1-0")  # written in 1970, as far as Redis knows
    async with reading(a):
        reply = await a.request("a", "demo.ipynb", GRACE, {"command": "run", "id": 2})
    assert reply["id"] == 2
    assert [body["id"] for _, _, body in owner.asked] == [2]


@pytest.mark.parametrize(
    ("member", "error"),
    [
        ("not a member", "not a JSON object"),
        ({"user": {"id": "x"}, "role": "owner", "clients": []}, "no connection key"),
        ({"key": "k", "user": {"id": "x"}, "role": "admin", "clients": []}, "unknown role 'admin'"),
        ({"key": "k", "user": {}, "role": "owner", "clients": []}, "no user id"),
        ({"key": "k", "user": {"id": "x", "name": 3}, "role": "owner", "clients": []}, "name"),
        ({"key": "k", "user": {"id": "x"}, "role": "owner", "clients": ["1"]}, "client id"),
        ({"key": "k", "user": {"id": "x"}, "role": "owner", "clients": list(range(99))}, "list"),
    ],
)
async def test_a_malformed_member_is_answered_with_what_is_wrong_and_nothing_runs(
    redis: Redis, prefix: str, member: Any, error: str
) -> None:
    owner, a, b = pair(redis, prefix)
    async with reading(a, b):
        waiting = asyncio.get_running_loop().create_future()
        b._waiting["req-1"] = waiting  # the reply lands where b waits for it
        await redis.xadd(a.inbox("a"), _request("req-1", member, {"command": "run", "id": 5}))
        reply = await asyncio.wait_for(waiting, 5)
        good = await b.request("a", "demo.ipynb", GRACE, {"command": "run", "id": 6})
    assert reply["id"] == 5
    assert reply["ok"] is False
    assert error in reply["error"]
    assert good["ok"] is True
    assert [body["id"] for _, _, body in owner.asked] == [6]


async def test_a_body_that_is_not_json_is_refused(redis: Redis, prefix: str) -> None:
    owner, a, b = pair(redis, prefix)
    async with reading(a, b):
        waiting = asyncio.get_running_loop().create_future()
        b._waiting["req-2"] = waiting
        await redis.xadd(a.inbox("a"), {**_request("req-2", GRACE_JSON, {}), "body": "[1,"})
        reply = await asyncio.wait_for(waiting, 5)
    assert reply == {"id": None, "ok": False, "error": "a forwarded message is not a JSON object"}
    assert owner.asked == []


async def test_an_error_in_the_owner_is_logged_and_answered(
    redis: Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, a, b = pair(redis, prefix)
    with caplog.at_level(logging.ERROR, logger="pairbook.cluster"):
        async with reading(a, b):
            reply = await b.request("a", "demo.ipynb", GRACE, {"command": "explode", "id": 4})
    assert reply["ok"] is False
    assert reply["id"] == 4
    assert "logged" in reply["error"]
    assert any("forwarded command failed" in r.message for r in caplog.records)


async def test_a_cluster_refusal_in_the_owner_is_answered_with_its_own_words(
    redis: Redis, prefix: str
) -> None:
    _, a, b = pair(redis, prefix)
    async with reading(a, b):
        reply = await b.request("a", "demo.ipynb", GRACE, {"command": "too-soon", "id": 5})
    assert reply == {
        "id": 5,
        "ok": False,
        "error": "this server process is starting; try again in a moment",
    }


GRACE_JSON = {"key": "conn-7", "user": {"id": "grace"}, "role": "editor", "clients": []}


def _request(
    request_id: str, member: dict[str, Any], body: dict[str, Any]
) -> dict[FieldT, EncodableT]:
    return {
        "kind": "request",
        "id": request_id,
        "from": "b",
        "room": "demo.ipynb",
        "member": json.dumps(member),
        "body": json.dumps(body),
    }
