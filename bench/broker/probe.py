"""The broker's own hop, without pairbook around it, beside bare redis-py in the same run.

    .venv/bin/python bench/broker/probe.py [--entries 300] [--every 0.02]

Two `RedisBroker`s in one process on a fresh key prefix of the machine's Redis: one
publishes an entry every `--every` seconds, the other has subscribed to the room; publish
to delivery latency. The reference: one redis-py client `XADD`s, another `XREAD BLOCK`s,
same rate, same Redis. p50 / p99 / max in ms; a shared machine: read the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests")]

from pairbook.broker import DocEntry, Entry, open_broker  # noqa: E402
from support.redis import SHARED_REDIS, fresh_prefix  # noqa: E402


class Arrivals:
    """A subscriber noting when each entry arrived."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}

    def deliver(self, entries: Sequence[Entry]) -> None:
        now = time.perf_counter()
        for entry in entries:
            if isinstance(entry, DocEntry):
                self.at[entry.seq] = now

    def missed(self) -> None:
        pass


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{ordered[len(ordered) // 2]:8.3f} {p99:8.3f} {ordered[-1]:8.3f}"


async def broker_hop(entries: int, every: float) -> list[float]:
    with fresh_prefix() as url:
        async with open_broker(url) as sender, open_broker(url) as receiver:
            arrivals = Arrivals()
            await receiver.subscribe("bench", arrivals)
            sent: dict[int, float] = {}
            for seq in range(1, entries + 1):
                sent[seq] = time.perf_counter()
                sender.publish("bench", DocEntry(seq, b"\x00\x02\x02\x00\x00", "u", (1,)))
                await asyncio.sleep(every)
            await asyncio.sleep(0.5)
            return [(arrivals.at[s] - sent[s]) * 1000 for s in sent if s in arrivals.at]


async def bare_hop(entries: int, every: float) -> list[float]:
    with fresh_prefix() as url:
        prefix = url.split("prefix=", 1)[1]
        writer, reader = Redis.from_url(SHARED_REDIS), Redis.from_url(SHARED_REDIS)
        key = f"{prefix}bare"
        got: dict[int, float] = {}

        async def read() -> None:
            position: bytes | str = "0-0"
            while len(got) < entries:
                answer = await reader.xread({key: position}, block=5000)
                assert not isinstance(answer, dict)  # RESP2 (the default): [[key, entries]]
                for _, messages in answer or []:
                    now = time.perf_counter()
                    for entry_id, fields in messages:
                        got[int(fields[b"i"])] = now
                        position = entry_id

        reading = asyncio.create_task(read())
        sent: dict[int, float] = {}
        for i in range(entries):
            sent[i] = time.perf_counter()
            await writer.xadd(key, {"i": i})
            await asyncio.sleep(every)
        await asyncio.wait_for(reading, 10)
        await writer.aclose()
        await reader.aclose()
        return [(got[i] - sent[i]) * 1000 for i in sent]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--every", type=float, default=0.02)
    options = parser.parse_args()
    bare = await bare_hop(options.entries, options.every)
    broker = await broker_hop(options.entries, options.every)
    print(f"{options.entries} entries, one every {options.every * 1000:.0f} ms; latency ms")
    print(f"{'':22} {'p50':>8} {'p99':>8} {'max':>8}  delivered")
    print(f"{'redis-py XADD/XREAD':22} {summary(bare)}  {len(bare)}")
    print(f"{'RedisBroker':22} {summary(broker)}  {len(broker)}")


if __name__ == "__main__":
    asyncio.run(main())
