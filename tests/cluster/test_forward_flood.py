"""Forwarder against the real Redis, flooded: an owner answers at most `max_answering`
requests of other processes at once; past it a request is refused at once (its sender told
to try again, the refusal counted and logged) instead of getting a task of its own, so a
flood of forwarded commands cannot grow the owner's tasks without bound."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import pytest
from redis.asyncio import Redis

from pairbook.auth import Role, User
from pairbook.broker.loops import Loops
from pairbook.cluster import Forwarder
from pairbook.cluster.forward import BUSY
from pairbook.service import Member
from pairbook.types import UserId

pytestmark = pytest.mark.cluster

REDIS_URL = os.environ.get("PAIRBOOK_TEST_REDIS", "redis://127.0.0.1:6379/0")
GRACE = Member("conn-7", User(UserId("grace"), "Grace", "#aa0000"), Role.EDITOR, frozenset({12}))


class HeldOwner:
    """A runner whose commands wait until the test lets them finish; it counts them."""

    def __init__(self) -> None:
        self.running = 0
        self.changed = asyncio.Condition()
        self.finish = asyncio.Event()

    async def __call__(self, room: str, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        async with self.changed:
            self.running += 1
            self.changed.notify_all()
        await self.finish.wait()
        return {"id": body.get("id"), "ok": True, "result": "ran"}

    async def until_running(self, count: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.running >= count)


async def test_a_flood_of_forwarded_commands_is_refused_past_the_bound(
    redis: Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    owner = HeldOwner()
    a = Forwarder(redis, "a", owner, prefix=prefix, timeout=30.0, block=0.1, max_answering=2)
    b = Forwarder(redis, "b", HeldOwner(), prefix=prefix, timeout=30.0, block=0.1)
    loops = Loops(logging.getLogger("pairbook.test.forward"), pause=0.05)
    loops.start("a", a.run)
    loops.start("b", b.run)
    try:
        held = [
            asyncio.create_task(b.request("a", "demo.ipynb", GRACE, {"command": "run", "id": i}))
            for i in (1, 2)
        ]
        await owner.until_running(2)
        flood = [
            b.request("a", "demo.ipynb", GRACE, {"command": "run", "id": i}) for i in range(3, 9)
        ]
        # Refused while the first two are still being answered (a 30 s timeout otherwise).
        replies = await asyncio.gather(*flood)
        assert replies == [{"id": i, "ok": False, "error": BUSY} for i in range(3, 9)]
        assert (a.answering, a.refused, owner.running) == (2, 6, 2)
        warnings = [r for r in caplog.records if "too many being answered" in r.getMessage()]
        assert len(warnings) == 1  # one warning for the flood, not one per request
        owner.finish.set()
        assert [(await t)["ok"] for t in held] == [True, True]
        # Room again: the next request is answered.
        reply = await b.request("a", "demo.ipynb", GRACE, {"command": "run", "id": 9})
        assert reply == {"id": 9, "ok": True, "result": "ran"}
    finally:
        await loops.stop()
