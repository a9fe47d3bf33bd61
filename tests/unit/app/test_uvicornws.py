"""The frames pairbook's uvicorn protocol writes itself are the frames python-websockets
would have written."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import pytest
from websockets.frames import Frame, Opcode

from pairbook.app.uvicornws import (
    PreparedFrame,
    ReceiveQueue,
    encode_binary_frame,
    uvicorn_mismatches,
)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_binary_frame_is_encoded_as_python_websockets_does(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    expected = Frame(Opcode.BINARY, payload).serialize(mask=False, extensions=[])
    assert encode_binary_frame(payload) == expected


def test_the_same_payload_is_encoded_once_for_every_peer() -> None:
    prepared = PreparedFrame()
    payload = b"\x00\x02\x05hello"
    first = prepared.of(payload)
    assert prepared.of(payload) is first
    other = prepared.of(b"\x00\x02\x05howdy")
    assert other is not first
    assert other == encode_binary_frame(b"\x00\x02\x05howdy")


def test_a_large_payload_is_not_kept() -> None:
    prepared = PreparedFrame()
    small = b"x" * 10
    kept = prepared.of(small)
    large = b"y" * 100_000
    assert prepared.of(large) == encode_binary_frame(large)
    assert prepared.of(small) is kept  # the large one did not replace it


async def test_the_receive_queue_hands_events_over_in_order() -> None:
    queue = ReceiveQueue()
    assert queue.empty()
    queue.put_nowait({"type": "websocket.connect"})
    queue.put_nowait({"type": "websocket.receive", "bytes": b"1"})
    assert queue.qsize() == 2
    assert await queue.get() == {"type": "websocket.connect"}
    assert await queue.get() == {"type": "websocket.receive", "bytes": b"1"}
    assert queue.empty()


async def test_a_get_waits_for_the_next_event_and_a_cancelled_one_loses_none() -> None:
    queue = ReceiveQueue()
    cancelled = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    getting = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not getting.done()
    queue.put_nowait({"type": "websocket.disconnect", "code": 1000})
    assert await getting == {"type": "websocket.disconnect", "code": 1000}


async def test_a_long_backlog_is_read_in_order_while_more_events_arrive() -> None:
    queue = ReceiveQueue()
    for number in range(1000):
        queue.put_nowait(number)
    read = [await queue.get() for _ in range(600)]
    for number in range(1000, 1500):  # arriving while the backlog is being read
        queue.put_nowait(number)
        read.append(await queue.get())
    assert queue.qsize() == 400
    while not queue.empty():
        read.append(await queue.get())
    expected = list(range(1500))
    assert read == expected
    queue.put_nowait("next")
    assert (queue.qsize(), await queue.get(), queue.empty()) == (1, "next", True)


async def test_an_event_read_is_no_longer_held_by_the_queue() -> None:
    class Event:
        pass

    queue = ReceiveQueue()
    first = Event()
    gone = weakref.ref(first)
    queue.put_nowait(first)
    for _ in range(10):
        queue.put_nowait(Event())
    del first
    await queue.get()
    assert gone() is None


class RenamedProtocol(asyncio.Protocol):
    """A uvicorn that renamed its receive queue and asks more of its writable event."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.receive_queue: asyncio.Queue[Any] = asyncio.Queue()
        self.writable = asyncio.Event()
        self.handshake_complete = self.close_sent = self.disconnected = False
        self.initial_response = self.conn = None

    def handle_connect(self, event: Any) -> None:
        self.request = self.response = event
        self.scope: dict[str, Any] = {}

    async def send(self) -> None:
        await asyncio.wait_for(self.writable.wait(), self.writable.timeout)  # type: ignore[attr-defined]


def test_the_installed_uvicorn_has_what_pairbooks_protocol_relies_on() -> None:
    assert uvicorn_mismatches() == []


def test_a_uvicorn_without_what_the_protocol_relies_on_is_named_in_full() -> None:
    assert uvicorn_mismatches(RenamedProtocol) == [
        "self.queue",
        "self.frames",
        "self.curr_msg_data_type",
        "start_keepalive()",
        "send_receive_event_to_app()",
        "self.writable.timeout() on pairbook's Flag",
    ]
