"""One update's path through a pairbook server under the fan-out bench, step by step.

Put this folder first on PYTHONPATH and name a file prefix in PAIRBOOK_BENCH_PATHTRACE;
every `pairbook serve` process on uvicorn then marks (`time.perf_counter_ns`) each small
binary frame from its arrival to its relay, and appends to PREFIX.<pid> a JSON list of rows
every 100 updates, one row per update relayed to more than 10 peers, in µs:

    [data_received, to Room.receive, to Writer.append, Writer.append, to the relay,
     the relay (Room.broadcast), the loop thread's CPU from arrival to the relay's end]

`data_received` is uvicorn's (websockets' parser or app/wholeframe.py, the ASGI event, the
queue); `to Room.receive` the connection's task woken through the ASGI receive. Read them
with `python bench/fanout/pathtrace/summary.py PREFIX.<pid> ...`. The marks cost a few µs
an update: compare runs traced alike.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

_ROWS = 100


def _patch(out: Any) -> None:
    from pairbook.app import uvicornws
    from pairbook.rooms import room as room_module
    from pairbook.store import writer as writer_module

    ns, cpu = time.perf_counter_ns, time.thread_time_ns
    marks: dict[str, int] = {}
    rows: list[list[float]] = []
    protocol = uvicornws.ImmediateWebSocketProtocol
    data_received = protocol.data_received

    def traced_data_received(self: Any, data: bytes) -> None:
        used, arrived = cpu(), ns()
        data_received(self, data)
        if len(data) < 200 and data[:1] == b"\x82":  # a keystroke's frame, not a join's
            marks.clear()
            marks.update(cpu=used, arrived=arrived, read=ns())

    room_class = room_module.Room
    receive = room_class.receive

    async def traced_receive(self: Any, peer: Any, frame: bytes, **options: Any) -> None:
        if "read" in marks and "room" not in marks:
            marks["room"] = ns()
        await receive(self, peer, frame, **options)

    append = writer_module.Writer.append

    def traced_append(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "room" in marks:
            marks["append"] = ns()
        try:
            return append(self, *args, **kwargs)
        finally:
            if "room" in marks:
                marks["appended"] = ns()

    broadcast = room_class.broadcast

    def traced_broadcast(self: Any, effect: Any) -> None:
        start = ns()
        broadcast(self, effect)
        if "room" not in marks or len(self.peers) <= 10:
            return
        end, m = ns(), marks
        append_at, appended = m.get("append", start), m.get("appended", start)
        steps = (
            m["read"] - m["arrived"], m["room"] - m["read"], append_at - m["room"],
            appended - append_at, start - appended, end - start,
        )  # fmt: skip
        rows.append([round(step / 1000, 1) for step in steps] + [(cpu() - m["cpu"]) / 1000])
        marks.clear()
        if len(rows) >= _ROWS:
            out.write(json.dumps(rows) + "\n")
            rows.clear()

    traced = (
        (protocol, "data_received", traced_data_received),
        (room_class, "receive", traced_receive),
        (writer_module.Writer, "append", traced_append),
        (room_class, "broadcast", traced_broadcast),
    )
    for owner, name, function in traced:
        setattr(owner, name, function)


def _install() -> None:
    prefix = os.environ.get("PAIRBOOK_BENCH_PATHTRACE")
    if not prefix or "serve" not in sys.argv:
        return
    try:
        import uvloop
    except ImportError:
        return
    new_event_loop = uvloop.new_event_loop

    def traced_loop() -> Any:
        loop = new_event_loop()
        _patch(open(f"{prefix}.{os.getpid()}", "a", buffering=1))  # noqa: SIM115
        return loop

    uvloop.new_event_loop = traced_loop  # uvicorn's loop factory looks it up when called


_install()
