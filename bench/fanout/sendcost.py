"""The CPU of one relayed send on a real uvicorn, beside the socket write it ends in.

    .venv/bin/python bench/fanout/sendcost.py [--peers 49] [--relays 100] [--rounds 10]

A uvicorn server (pairbook's `ImmediateWebSocketProtocol`, uvloop) holds `--peers`
connections from websockets clients in the same process; every relay is one frame to all
of them, timed with the loop thread's CPU clock (not wall time: other processes on the
machine do not count), idle 2 ms between relays so the clients read. Printed per send, µs,
median and minimum over the rounds of each round's median:

- `Room.broadcast`: what a room's relay does (rooms/peer.py `relay`, then the connection's
  `write_now`), to peers on the uvicorn connections;
- `write_now`: the connection's immediate write alone, called for each peer;
- `transport.write`: uvloop's write of the encoded frame alone (the floor: the syscall).

The clients read every frame; the peers' sockets never hold bytes, so every send takes the
immediate path. Compare two trees by putting one's `server/` first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import time
from collections.abc import Callable
from typing import Any, cast

import uvicorn
import uvloop
import websockets

from pairbook.app.uvicornws import WRITE_NOW, ImmediateWebSocketProtocol, encode_binary_frame
from pairbook.auth import Role, User
from pairbook.rooms import Channel, Peer, TokenBucket
from pairbook.rooms.effects import Broadcast
from pairbook.rooms.room import Room
from pairbook.types import UserId

Send = Callable[[bytes], Any]


class _Channel:
    """The parts of a Channel a relay to a peer that keeps up uses."""

    def __init__(self, write: Callable[[bytes], bool]) -> None:
        self.send_now = write

    def backlog(self) -> int:
        return 0


class _Room:
    """What `Room.broadcast` reads of a room."""

    def __init__(self, peers: list[Peer]) -> None:
        self.peers = set(peers)
        self.counters = type("Counters", (), {"relayed_frames": 0})()


async def _serve(count: int) -> tuple[list[Any], list[Any], uvicorn.Server, asyncio.Task[None]]:
    extensions: list[Any] = []
    accepted = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        extensions.append(scope["extensions"][WRITE_NOW])
        if len(extensions) == count:
            accepted.set()
        while (await receive())["type"] != "websocket.disconnect":
            pass

    config = uvicorn.Config(
        app, ws=ImmediateWebSocketProtocol, ws_per_message_deflate=False, lifespan="off",
        log_level="warning",
    )  # fmt: skip
    server = uvicorn.Server(config)
    listening = socket.create_server(("127.0.0.1", 0))
    task = asyncio.create_task(server.serve(sockets=[listening]))
    url = f"ws://127.0.0.1:{listening.getsockname()[1]}/"
    clients = [
        await websockets.connect(url, compression=None, max_queue=None) for _ in range(count)
    ]
    await accepted.wait()
    return clients, extensions, server, task


async def _drain(client: Any) -> None:
    async for _ in client:
        pass


def _variants(extensions: list[Any]) -> dict[str, tuple[Send, Callable[[bytes], bytes]]]:
    user = User(UserId("reader"), "Reader", "#000000")
    peers = []
    for extension in extensions:
        channel = cast(Channel, _Channel(extension["write"]))
        peer = Peer("k", user, Role.EDITOR, channel, queue_limit=100, limiter=TokenBucket(1, 1))
        peer.go_live()
        peers.append(peer)
    room = cast(Room, _Room(peers))
    writes = [extension["write"] for extension in extensions]
    transports = [extension["write"].__self__.transport for extension in extensions]

    def write_each(frame: bytes) -> None:
        for write in writes:
            write(frame)

    def transport_each(frame: bytes) -> None:
        for transport in transports:
            transport.write(frame)

    def as_is(payload: bytes) -> bytes:
        return payload

    return {
        "Room.broadcast": (lambda frame: Room.broadcast(room, Broadcast(frame, None)), as_is),
        "write_now": (write_each, as_is),
        "transport.write": (transport_each, encode_binary_frame),
    }


async def main(args: argparse.Namespace) -> None:
    clients, extensions, server, task = await _serve(args.peers)
    readers = [asyncio.create_task(_drain(client)) for client in clients]
    variants = _variants(extensions)
    results: dict[str, list[float]] = {name: [] for name in variants}
    payload = b"\x00\x02" + b"k" * 38  # a keystroke's sync update
    for _ in range(args.rounds):
        for name, (send, prepare) in variants.items():
            per_send = []
            for _ in range(args.relays):
                frame = prepare(bytes(payload))  # a new object per relay, as a room's
                started = time.thread_time_ns()
                send(frame)
                per_send.append((time.thread_time_ns() - started) / args.peers / 1000)
                await asyncio.sleep(0.002)
            results[name].append(statistics.median(per_send))
    for name, medians in results.items():
        print(
            f"{name:16} µs a send: median {statistics.median(medians):.2f}, min {min(medians):.2f}"
        )
    for client in clients:
        await client.close()
    await asyncio.gather(*readers, return_exceptions=True)
    server.should_exit = True
    await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=int, default=49)
    parser.add_argument("--relays", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    uvloop.run(main(parser.parse_args()))
