"""Coalescing a lagging peer's queued update frames: real pycrdt updates, merged once."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

import pytest
from pycrdt import Doc, Text

from pairbook.auth import Role, User
from pairbook.protocol.messages import (
    SyncUpdate,
    decode_message,
    encode_awareness,
    encode_sync_update,
)
from pairbook.rooms import CloseCode, Peer, TokenBucket, coalesce, memory_channel_pair
from pairbook.rooms.coalesce import Coalescer
from pairbook.types import UserId
from support.panics import pycrdt_panic


def typed_updates(text: str) -> list[bytes]:
    """One update per character typed, as a stock client sends them."""
    doc: Doc[Text] = Doc()
    doc["t"] = source = Text()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for char in text:
        source += char
    return updates


def apply_frames(frames: list[bytes]) -> str:
    doc: Doc[Text] = Doc()
    doc["t"] = source = Text()
    for frame in frames:
        message = decode_message(frame)
        if isinstance(message, SyncUpdate):
            doc.apply_update(message.update)
    return str(source)


def test_a_run_of_updates_goes_as_one_frame_that_applies_the_same() -> None:
    frames = [encode_sync_update(u) for u in typed_updates("hello")]
    queue = deque(frames)
    frame, size = Coalescer().take(queue)
    assert not queue
    assert size == sum(len(f) for f in frames)  # the bytes it stands for, for the buffer
    assert frame not in frames
    assert apply_frames([frame]) == "hello"


def test_other_frames_are_never_merged_and_keep_their_place() -> None:
    updates = [encode_sync_update(u) for u in typed_updates("abcd")]
    presence = encode_awareness(b"\x00")
    queue = deque([updates[0], updates[1], presence, updates[2], updates[3]])
    coalescer = Coalescer()
    sent = []
    while queue:
        sent.append(coalescer.take(queue)[0])
    assert len(sent) == 3
    assert sent[1] == presence
    assert apply_frames(sent) == "abcd"


def test_a_lone_frame_goes_as_it_is() -> None:
    frame = encode_sync_update(typed_updates("x")[0])
    assert Coalescer().take(deque([frame])) == (frame, len(frame))


def test_a_merge_that_panics_is_logged_and_the_run_goes_one_by_one(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A pycrdt panic is a BaseException: it went past `except Exception`, out of the peer's
    # backlog task, and the peer never got the run.
    monkeypatch.setattr(coalesce, "merge_updates", lambda *updates: pycrdt_panic())
    frames = [encode_sync_update(u) for u in typed_updates("abc")]
    queue = deque(frames)
    with caplog.at_level(logging.ERROR, logger="pairbook"):
        assert Coalescer().take(queue) == (frames[0], len(frames[0]))
    assert list(queue) == frames[1:]
    (record,) = caplog.records
    assert record.exc_info is not None
    assert type(record.exc_info[1]).__name__ == "PanicException"


def test_peers_lagging_alike_share_one_merge() -> None:
    frames = [encode_sync_update(u) for u in typed_updates("shared")]
    coalescer = Coalescer()
    first, _ = coalescer.take(deque(frames))
    second, _ = coalescer.take(deque(frames))
    assert second is first
    assert coalescer.merged_frames == 2 * (len(frames) - 1)


async def test_a_peer_that_fell_behind_gets_its_backlog_in_fewer_frames() -> None:
    channel, client = memory_channel_pair(capacity=1)  # a socket that takes one frame
    user = User(UserId("u1"), "Ana", "#e6194b")
    peer = Peer("k", user, Role.EDITOR, channel, queue_limit=100, limiter=TokenBucket(10, 2))
    for update in typed_updates("backlog"):
        peer.send(encode_sync_update(update))
    assert peer.buffered_bytes > 0  # the first frame went out at once, the others wait
    first = client.unread()
    assert len(first) == 1
    sender = asyncio.create_task(peer.run_sender())
    for _ in range(3):
        await asyncio.sleep(0)
    assert peer.buffered_bytes == 0
    received = client.unread()
    assert len(received) == 1
    assert apply_frames(first + received) == "backlog"
    peer.request_close(CloseCode.NORMAL, "")
    await sender
