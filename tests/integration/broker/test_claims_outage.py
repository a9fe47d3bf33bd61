"""Client ids claimed while Redis was away are claimed everywhere once it is back, even when
the store could not be read at that moment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pairbook.broker import open_broker
from pairbook.errors import StoreError
from pairbook.protocol.messages import encode_sync_update
from support.brokerkit import Process, eventually, two_processes
from support.redis import own_redis

pytestmark = pytest.mark.integration


def _reconnected(process: Process) -> bool:
    return process.feed.behind(process.clock())


async def test_a_client_id_claimed_twice_in_an_outage_is_found_out_past_a_store_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with own_redis(tmp_path / "redis") as server:
        async with two_processes(tmp_path, lambda: open_broker(server.url)) as (a, b, store):
            server.stop()
            # Two people on two processes write under one client id: each process could
            # claim it for its own alone.
            eve, mal = await a.join("eve", 555), await b.join("mal", 555)
            await a.send(eve, encode_sync_update(eve.edit("E")))
            await b.send(mal, encode_sync_update(mal.edit("M")))
            server.start()
            await eventually(lambda: _reconnected(b), within=20)
            await eventually(lambda: not b.feed._claims.unconfirmed, processes=(b,))
            await eventually(lambda: _reconnected(a), within=20)
            records = store.records

            async def unreadable(*args: Any, **kwargs: Any) -> Any:
                raise StoreError("the store is away for a moment")

            monkeypatch.setattr(store, "records", unreadable)
            a.clock.advance(0.05)
            with pytest.raises(StoreError):  # the room's upkeep logs it, and goes on
                await a.feed.upkeep(a.clock())
            monkeypatch.setattr(store, "records", records)
            # The store answers again: a claims 555 everywhere, finds it mal's, and its
            # room (with eve's content under mal's id) reloads from the log.
            await eventually(lambda: a.room.lost is not None, processes=(a,))
