"""bench/widgets: a slider dragged for 5 s by one person while 10 people watch.

Prints, side by side in one run:
- change-to-every-peer latency (p50 / p99): from the `widget` command a dragging page sends
  to the moment all 10 watchers' documents hold that value (the kernel's echo, relayed);
- kernel messages per second: the comm updates the kernel handled (counted in the kernel by
  an observer on the slider), against the changes the mouse made;
- the reference: a bare jupyter_client comm round trip on a python3 kernel started by this
  script (a comm_msg update to an IntSlider, until its echo_update comes back on IOPub).

The dragging client behaves as pairbook's page does: the mouse moves every 16 ms (60 Hz);
a change goes out once the previous one was answered and at least 50 ms after it (the
widget's own message throttle; the last value always goes). `--unthrottled` sends every
mouse move at once instead (the server then merges what arrives while the kernel is busy).

Usage: .venv/bin/python bench/widgets/run.py [--seconds 5] [--watchers 10] [--unthrottled]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the test suite's real-process helpers

from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from pycrdt import Map  # noqa: E402

from pairbook.protocol.messages import encode_command  # noqa: E402
from support.client import YClient  # noqa: E402
from support.notebooks import write_notebook  # noqa: E402
from support.server import ServerProcess  # noqa: E402

MOUSE_MS = 16
THROTTLE_MS = 50
SLIDER = (
    "import ipywidgets as w\n"
    "s = w.IntSlider(value=0, max=10**9)\n"
    "seen = []\n"
    "s.observe(lambda change: seen.append(change['new']), 'value')\n"
    "s"
)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bare_comm_round_trips(count: int) -> list[float]:
    """comm_msg update -> echo_update on a bare kernel, the slider made by an execute."""
    manager = AsyncKernelManager(kernel_name="python3")
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    try:
        msg_id = client.execute("import ipywidgets as w\ns = w.IntSlider(max=10**9)\ns")
        comm_id = None
        while True:
            message = await client.get_iopub_msg(timeout=30)
            if message["header"]["msg_type"] == "comm_open" and comm_id is None:
                state = message["content"]["data"]["state"]
                if state.get("_model_name") == "IntSliderModel":
                    comm_id = message["content"]["comm_id"]
            idle = message["content"].get("execution_state") == "idle"
            if idle and message["parent_header"].get("msg_id") == msg_id:
                break
        assert comm_id is not None
        samples = []
        for value in range(1, count + 1):
            data = {"method": "update", "state": {"value": value}, "buffer_paths": []}
            request = client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
            start = time.perf_counter()
            client.shell_channel.send(request)
            while True:
                message = await client.get_iopub_msg(timeout=30)
                content = message["content"]
                if message["parent_header"].get("msg_id") != request["header"]["msg_id"]:
                    continue
                if content.get("data", {}).get("method") == "echo_update":
                    samples.append((time.perf_counter() - start) * 1000)
                if content.get("execution_state") == "idle":
                    break
        return samples
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)


class Watch:
    """When a watcher's document first held each slider value."""

    def __init__(self, client: YClient, model: str) -> None:
        self.times: list[tuple[float, int]] = []
        ymodels = client.doc.get("widgets", type=Map)
        self._ystate: Map[Any] = ymodels[model]["state"]
        self._ystate.observe(self._changed)

    def _changed(self, _event: Any) -> None:
        self.times.append((time.perf_counter(), int(self._ystate["value"])))

    def first_at_least(self, value: int) -> float | None:
        return next((t for t, v in self.times if v >= value), None)


def slider_of(client: YClient) -> str | None:
    for key, model in client.map("widgets").items():
        if model["state"].get("_model_name") == "IntSliderModel" and not model["gone"]:
            return str(key)
    return None


async def drag(dragger: YClient, model: str, seconds: float, throttled: bool) -> dict[str, Any]:
    """Move the mouse for `seconds`; send as the page does. Returns what was sent when."""
    sent: list[tuple[float, int]] = []
    moves = 0
    latest = 0
    busy: asyncio.Task[Any] | None = None
    last_send = -1e9

    async def send(value: int) -> None:
        """As the page: the command (queued at once), then the widget-echo event once the
        kernel took it; one change under way at a time."""
        sent.append((time.perf_counter(), value))
        reply = await dragger.command(
            "widget", model=model, state={"value": value}, echo=str(value)
        )
        assert reply["ok"], reply
        event = await dragger.event("widget-echo")
        assert event["ok"], event
        assert event["echo"] == str(value), event

    async def fire(value: int) -> None:
        """Unthrottled: every move's command goes out at once, nobody waits for answers."""
        sent.append((time.perf_counter(), value))
        assert dragger.ws is not None
        body = {"id": -value, "command": "widget", "model": model, "state": {"value": value}}
        await dragger.ws.send(encode_command(body))

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        moves += 1
        latest = moves
        now = time.perf_counter()
        if not throttled:
            await fire(latest)
        elif (busy is None or busy.done()) and (now - last_send) * 1000 >= THROTTLE_MS:
            busy, last_send = asyncio.ensure_future(send(latest)), now
        await asyncio.sleep(MOUSE_MS / 1000)
    if throttled:
        if busy is not None:
            await busy
        if not sent or sent[-1][1] != latest:  # the final value always goes
            await send(latest)
    return {"sent": sent, "moves": moves, "final": latest}


async def pairbook_drag(server: ServerProcess, args: argparse.Namespace) -> dict[str, Any]:
    url = server.ws_url("bench.ipynb")
    async with contextlib.AsyncExitStack() as stack:
        dragger = await stack.enter_async_context(YClient(url))
        watchers = [await stack.enter_async_context(YClient(url)) for _ in range(args.watchers)]
        await dragger.set_source(1, SLIDER)
        await dragger.set_source(2, "print(len(seen), seen[-1] if seen else None)")
        assert (await dragger.command("run", cells=["code-0"]))["ok"]
        await dragger.wait_until(lambda: slider_of(dragger) is not None, timeout=60)
        model = slider_of(dragger)
        assert model is not None
        for watcher in watchers:
            await watcher.wait_until(lambda w=watcher: slider_of(w) == model, timeout=30)  # type: ignore[misc]
        watches = [Watch(watcher, model) for watcher in watchers]
        started = time.perf_counter()
        dragged = await drag(dragger, model, args.seconds, throttled=not args.unthrottled)
        for watcher in watchers:
            await watcher.wait_until(
                lambda w=watcher: w.map("widgets")[model]["state"]["value"] == dragged["final"],  # type: ignore[misc]
                timeout=60,
            )
        elapsed = time.perf_counter() - started
        assert (await dragger.command("run", cells=["code-1"]))["ok"]
        await dragger.wait_until(lambda: len(dragger.cells[2]["outputs"]) > 0, timeout=60)
        counted = str(dragger.cells[2]["outputs"][0]["text"]).split()
    latencies = []
    for at, value in dragged["sent"]:
        seen = [watch.first_at_least(value) for watch in watches]
        if all(s is not None for s in seen):
            latencies.append((max(s for s in seen if s is not None) - at) * 1000)
    return {
        **dragged,
        "latencies": latencies,
        "elapsed": elapsed,
        "kernel_updates": int(counted[0]),
        "kernel_last": int(counted[1]),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--watchers", type=int, default=10)
    parser.add_argument("--bare", type=int, default=200, help="bare comm round trips")
    parser.add_argument("--unthrottled", action="store_true")
    parser.add_argument("--store", help="pairbook --store (default: SQLite in a temp dir)")
    args = parser.parse_args()
    bare = await bare_comm_round_trips(args.bare)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "nb"
        write_notebook(root / "bench.ipynb")
        with ServerProcess(root, store=args.store or str(Path(tmp) / "store.sqlite")) as server:
            ours = await pairbook_drag(server, args)
    mode = "every mouse move sent" if args.unthrottled else "page throttle, 50 ms"
    sent, lat = ours["sent"], ours["latencies"]
    print(f"slider dragged {args.seconds:g} s ({mode}), {args.watchers} watchers")
    print(f"  mouse moves {ours['moves']}, widget commands sent {len(sent)} "
          f"({len(sent) / args.seconds:.1f}/s)")  # fmt: skip
    print(f"  kernel comm updates handled {ours['kernel_updates']} "
          f"({ours['kernel_updates'] / args.seconds:.1f}/s); final value in the kernel "
          f"{ours['kernel_last']} (last move {ours['final']})")  # fmt: skip
    print("latency (ms)                                          p50     p99")
    print(f"  bare jupyter_client comm update -> echo_update  {percentile(bare, .5):7.2f} "
          f"{percentile(bare, .99):7.2f}")  # fmt: skip
    print(f"  pairbook widget command -> all {args.watchers} watchers' docs  "
          f"{percentile(lat, .5):7.2f} {percentile(lat, .99):7.2f}")  # fmt: skip
    print(f"  first five {[round(x) for x in lat[:5]]}")
    print(f"  ({len(lat)} changes; slowest five {[round(x) for x in sorted(lat)[-5:]]} ms)")


if __name__ == "__main__":
    asyncio.run(main())
