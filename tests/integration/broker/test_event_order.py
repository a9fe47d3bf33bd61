"""An event a room's service sends a member on another process comes after the updates its
process relayed before it, even when one of them reaches that process by the log (a real
Redis): the `widget-echo` telling a page the kernel took its change must not come before the
kernel's echo of the value (the page shows the map's value then: a clicked checkbox snapped
back to its old value)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycrdt import Doc, Text

from pairbook.broker.redis import RedisBroker
from pairbook.protocol.messages import CommandMessage, SyncStep2, SyncUpdate, decode_message
from pairbook.rooms.handle import ServiceHandle
from pairbook.types import UserId
from support.brokerkit import eventually, open_process, settle, shared_store


def told(frames: list[bytes]) -> str | None:
    """The scratch text a client held when the event `told` came (None: it never came)."""
    doc: Doc[Any] = Doc()
    for frame in frames:
        message = decode_message(frame)
        if isinstance(message, SyncStep2 | SyncUpdate):
            doc.apply_update(message.update)
        elif isinstance(message, CommandMessage) and message.body.get("event") == "told":
            return str(doc.get("scratch", type=Text))
    return None


async def test_an_event_for_another_process_waits_for_the_update_read_from_the_log(
    tmp_path: Path, redis_url: str
) -> None:
    long = "x" * 2_000
    # A gives up on every update it publishes (they pass its outbox's bytes): the others
    # get a marker and read the update from the log; small signals go through.
    async with (
        shared_store(tmp_path) as (path, store),
        RedisBroker(redis_url, outbox_bytes=1_000) as first,
        RedisBroker(redis_url) as second,
    ):
        a = await open_process(path, store, first)
        b = await open_process(path, store, second)
        bob = await b.join("bob", 102)
        bob.peer.speaks_pairbook = True
        await eventually(lambda: len(a.feed.signals.members()) == 1, processes=(a, b))
        (member,) = a.feed.signals.members()
        handle = ServiceHandle(a.room)

        def write(doc: Doc[Any]) -> None:
            doc.get("scratch", type=Text).insert(0, long)

        await handle.apply_server_edit(write, UserId("ana"))
        handle.notify_member(member, {"event": "told", "after": "the edit"})
        await eventually(lambda: bob.read() is not None and bob.text() == long,
                         processes=(a, b))  # fmt: skip
        await eventually(lambda: bob.read() is not None and told(bob.frames) is not None,
                         processes=(a, b))  # fmt: skip
        assert told(bob.frames) == long
        await settle(a, b)
        bob.sender.cancel()
