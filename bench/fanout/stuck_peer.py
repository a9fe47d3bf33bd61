"""A peer that syncs, then stops reading (a laptop lid closed), in a process of its own.

    python stuck_peer.py URL

Connects, sends a stock client's hello (sync step 1 with an empty state vector), reads the
room's first frame, then stops reading its socket and prints `stuck`. On a line on stdin it
reads again, and prints the close the server sent as JSON: {"code": ..., "reason": ...,
"pausedS": seconds it did not read}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import websockets
from websockets.exceptions import ConnectionClosed

HELLO = b"\x00\x00\x01\x00"  # sync step 1, empty state vector


async def main(url: str) -> None:
    async with websockets.connect(url, max_size=None, max_queue=1, compression=None) as ws:
        await ws.send(HELLO)
        await ws.recv()
        ws.transport.pause_reading()
        print("stuck", flush=True)
        stuck_at = time.monotonic()
        await asyncio.to_thread(sys.stdin.readline)
        ws.transport.resume_reading()
        paused = round(time.monotonic() - stuck_at, 1)
        outcome: dict[str, object] = {"code": None, "reason": "still open", "pausedS": paused}
        try:
            async with asyncio.timeout(10):
                while True:
                    await ws.recv()
        except ConnectionClosed as closed:
            rcvd = closed.rcvd
            outcome = {
                "code": rcvd.code if rcvd else None,
                # pairbook drops a connection whose socket took not even the close frame
                # within its send timeout (10 s by default): then no close frame is read
                "reason": rcvd.reason if rcvd else f"dropped, no close frame, after {paused} s",
                "pausedS": paused,
            }
        except TimeoutError:
            pass
        print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
