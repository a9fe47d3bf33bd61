"""Forwarder against the real Redis, when Redis refuses one of its calls on the owner's side:
the owner answers the request it could not check and goes on reading its inbox (a task
failing in its task group ended the whole reader: every later command to the room timed out
until the process restarted). A command being answered when the reader fails and is started
again is still answered; one being answered when the owner stops is answered so at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from pairbook.auth import Role, User
from pairbook.broker.loops import Loops
from pairbook.cluster import Forwarder
from pairbook.service import Member
from pairbook.types import UserId

pytestmark = pytest.mark.cluster

REDIS_URL = os.environ.get("PAIRBOOK_TEST_REDIS", "redis://127.0.0.1:6379/0")
GRACE = Member("conn-7", User(UserId("grace"), "Grace", "#aa0000"), Role.EDITOR, frozenset({12}))


class Owner:
    """A runner that records what it was asked and answers as a room would."""

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    async def __call__(self, room: str, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        self.asked.append(body)
        return {"id": body.get("id"), "ok": True, "result": {"ran_by": member.user.id}}


@contextlib.asynccontextmanager
async def without_time(redis: Redis) -> AsyncIterator[Redis]:
    """A connection to the same Redis as a user that may run every command but TIME (Redis
    answers it NOPERM: a real refusal, as a Redis blip would give)."""
    name = f"pairbook-test-{uuid.uuid4().hex[:8]}"
    await redis.acl_setuser(
        name, enabled=True, nopass=True, keys=["*"], channels=["*"], commands=["+@all", "-time"]
    )
    client: Redis = Redis.from_url(REDIS_URL, username=name, password="x")
    try:
        yield client
    finally:
        await client.aclose()
        await redis.acl_deluser(name)


async def test_an_owner_whose_redis_refuses_a_call_answers_and_reads_on(
    redis: Redis, prefix: str
) -> None:
    async with without_time(redis) as refusing:
        owner = Owner()
        a = Forwarder(refusing, "a", owner, prefix=prefix, timeout=3.0, block=0.2)
        b = Forwarder(redis, "b", Owner(), prefix=prefix, timeout=3.0, block=0.2)
        readers = [asyncio.create_task(f.run()) for f in (a, b)]
        try:
            reply = await b.request("a", "demo.ipynb", GRACE, {"command": "run", "id": 1})
            assert reply["id"] == 1
            assert reply["ok"] is False
            assert "try again" in reply["error"]
            assert owner.asked == []  # not run: whether it came too late is unknown
            assert not readers[0].done()  # the owner reads its inbox on
        finally:
            for task in readers:
                task.cancel()
            for task in readers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


async def test_an_inbox_entry_that_is_not_text_is_answered_and_the_inbox_read_on(
    redis: Redis, prefix: str
) -> None:
    # As ClusterOwnership runs it: under Loops, which starts a failed reader again. A field
    # that is not UTF-8 made every read of the inbox fail at the same entry, for ever: the
    # restarted reader read it again, and no command reached the process any more.
    owner = Owner()
    a = Forwarder(redis, "a", owner, prefix=prefix, timeout=3.0, block=0.2)
    b = Forwarder(redis, "b", Owner(), prefix=prefix, timeout=3.0, block=0.2)
    loops = Loops(logging.getLogger("pairbook.test.forward"), pause=0.05)
    await redis.xadd(
        a.inbox("a"),
        {"kind": "request", "id": "bad-1", "from": "b", "room": "demo.ipynb",
         "member": b"\xff\xfe not text", "body": "{}"},
    )  # fmt: skip
    loops.start("a", a.run)
    loops.start("b", b.run)
    try:
        reply = await b.request("a", "demo.ipynb", GRACE, {"command": "run", "id": 2})
        assert reply == {"id": 2, "ok": True, "result": {"ran_by": "grace"}}
        assert [body["id"] for body in owner.asked] == [2]
        assert loops.failures == 0
    finally:
        await loops.stop()


class FailingReads(Redis):
    """The real Redis, whose next inbox read fails with an error nobody expected (a bug in
    the reader) once `fail` is set: the reader ends, and Loops starts it again."""

    fail = False

    async def xread(self, *args: Any, **kwargs: Any) -> Any:
        if self.fail:
            self.fail = False
            raise RuntimeError("the inbox reader failed")
        return await super().xread(*args, **kwargs)


class SlowOwner(Owner):
    """A runner whose commands take until the test lets them finish."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.finish = asyncio.Event()

    async def __call__(self, room: str, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        self.started.set()
        await self.finish.wait()
        return await super().__call__(room, member, body)


async def test_a_command_being_answered_is_answered_after_the_reader_restarts(
    redis: Redis, prefix: str
) -> None:
    owner = SlowOwner()
    failing = FailingReads.from_url(REDIS_URL)
    assert isinstance(failing, FailingReads)
    a = Forwarder(failing, "a", owner, prefix=prefix, timeout=5.0, block=0.1)
    b = Forwarder(redis, "b", Owner(), prefix=prefix, timeout=5.0, block=0.1)
    loops = Loops(logging.getLogger("pairbook.test.forward"), pause=0.05)
    loops.start("a", a.run)
    loops.start("b", b.run)
    try:
        request = asyncio.create_task(
            b.request("a", "demo.ipynb", GRACE, {"command": "run", "id": 3})
        )
        await owner.started.wait()
        failing.fail = True  # a's reader fails while grace's run is being answered
        while loops.failures == 0:  # noqa: ASYNC110  (Loops has no event to wait on)
            await asyncio.sleep(0.01)
        owner.finish.set()
        assert await request == {"id": 3, "ok": True, "result": {"ran_by": "grace"}}
        assert loops.failures == 1
    finally:
        await loops.stop()
        await failing.aclose()


async def test_a_command_being_answered_when_the_owner_stops_is_answered_so(
    redis: Redis, prefix: str
) -> None:
    owner = SlowOwner()
    a = Forwarder(redis, "a", owner, prefix=prefix, timeout=30.0, block=0.1)
    b = Forwarder(redis, "b", Owner(), prefix=prefix, timeout=30.0, block=0.1)
    a_loops = Loops(logging.getLogger("pairbook.test.forward"), pause=0.05)
    b_loops = Loops(logging.getLogger("pairbook.test.forward"), pause=0.05)
    a_loops.start("a", a.run)
    b_loops.start("b", b.run)
    try:
        request = asyncio.create_task(
            b.request("a", "demo.ipynb", GRACE, {"command": "run", "id": 4})
        )
        await owner.started.wait()
        await a_loops.stop()  # the owner's process shuts down mid-command
        assert a.answering == 0
        reply = await request  # told now, not after its 30 s timeout
        assert reply["id"] == 4
        assert reply["ok"] is False
        assert "stopped while running your command" in reply["error"]
    finally:
        await b_loops.stop()
