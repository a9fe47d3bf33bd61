"""The in-memory Channel: frames in order, bounded like a socket's buffer, closed as a
websocket closes."""

from __future__ import annotations

import asyncio

import pytest

from pairbook.rooms import ChannelClosed, memory_channel_pair


async def test_frames_arrive_in_order_at_the_other_end() -> None:
    room, client = memory_channel_pair()
    for frame in (b"1", b"2", b"3"):
        await room.send(frame)
    await client.send(b"back")
    assert [await client.receive() for _ in range(3)] == [b"1", b"2", b"3"]
    assert await room.receive() == b"back"


async def test_a_send_waits_while_the_other_end_holds_capacity_frames_unread() -> None:
    room, client = memory_channel_pair(capacity=2)
    await room.send(b"1")
    await room.send(b"2")
    third = asyncio.create_task(room.send(b"3"))
    await asyncio.sleep(0)
    assert not third.done()
    assert await client.receive() == b"1"
    await third
    assert client.unread() == [b"2", b"3"]


async def test_a_receive_waits_for_a_frame() -> None:
    room, client = memory_channel_pair()
    received = asyncio.create_task(room.receive())
    await asyncio.sleep(0)
    assert not received.done()
    await client.send(b"hello")
    assert await received == b"hello"


async def test_closing_one_end_closes_both_with_the_code_and_reason() -> None:
    room, client = memory_channel_pair()
    await room.send(b"last words")
    await room.close(4413, "too slow")
    assert room.close_frame == client.close_frame == (4413, "too slow")
    assert room.closed
    assert client.closed
    assert await client.receive() == b"last words"  # sent before the close: delivered
    with pytest.raises(ChannelClosed):
        await client.receive()
    with pytest.raises(ChannelClosed):
        await room.receive()
    with pytest.raises(ChannelClosed):
        await client.send(b"too late")
    with pytest.raises(ChannelClosed):
        await room.send(b"too late")
    await client.close(1000, "again")  # a second close changes nothing
    assert client.close_frame == (4413, "too slow")


async def test_a_close_wakes_a_waiting_receive_and_a_waiting_send() -> None:
    room, client = memory_channel_pair(capacity=1)
    await room.send(b"fills it")
    blocked_send = asyncio.create_task(room.send(b"waits"))
    blocked_receive = asyncio.create_task(room.receive())
    await asyncio.sleep(0)
    await client.close(1000, "")
    with pytest.raises(ChannelClosed):
        await blocked_send
    with pytest.raises(ChannelClosed):
        await blocked_receive


def test_a_channel_holds_at_least_one_frame() -> None:
    with pytest.raises(ValueError, match="at least 1 frame"):
        memory_channel_pair(capacity=0)


async def test_an_abort_drops_what_was_not_read_and_closes_both_ends_at_once() -> None:
    room, client = memory_channel_pair()
    await room.send(b"never read")
    room.abort()
    assert room.close_frame == client.close_frame == (1006, "")
    with pytest.raises(ChannelClosed):
        await client.receive()  # the unread frame went with the connection
    room.abort()  # a second abort changes nothing
    await room.close(4413, "too late")
    assert client.close_frame == (1006, "")
