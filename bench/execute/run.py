"""bench/execute: run round trip and output streaming through pairbook's shared kernel.

Prints, side by side in one run:
- `1+1` from a websocket client's run request to the result in every peer's document
  (pairbook, 10 peers), against a bare jupyter_client execute of `1+1` on a python3 kernel
  started by this script (the same kernelspec): p50 / p99 and pairbook's overhead;
- output streaming: lines per second that reach all 10 peers while a cell prints.

Beside the latencies it prints the CPU each run cost (user + system, over the timed runs):
the bench's own client process, the kernel, and pairbook's server processes (for bare
jupyter_client: the client and its kernel). Under load the latencies swing with the machine;
the CPU per run is what each side itself spends.

Usage: .venv/bin/python bench/execute/run.py [--runs 200] [--peers 10] [--lines 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the test suite's real-process helpers

import psutil  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from pycrdt import Map  # noqa: E402

from support.client import YClient  # noqa: E402
from support.notebooks import write_notebook  # noqa: E402
from support.server import ServerProcess  # noqa: E402


def cpu_of(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


def is_kernel(process: psutil.Process) -> bool:
    try:
        return any("ipykernel" in part for part in process.cmdline())
    except psutil.NoSuchProcess:
        return False


def cpu_parts(root: int | None) -> dict[str, float]:
    """CPU seconds so far of this process (the client), and of `root`'s tree split into
    its kernels and the rest (pairbook's processes; for bare jupyter_client, `root` is
    None and the kernel is this process's child)."""
    me = psutil.Process()
    parts = {"client": cpu_of(me), "kernel": 0.0, "server": 0.0}
    tree = psutil.Process(root) if root is not None else me
    for process in [tree, *tree.children(recursive=True)]:
        if process.pid == me.pid:
            continue
        parts["kernel" if is_kernel(process) else "server"] += cpu_of(process)
    return parts


def cpu_per_run(before: dict[str, float], after: dict[str, float], runs: int) -> str:
    return "  ".join(f"{part} {(after[part] - before[part]) / runs * 1000:.2f}" for part in before)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bare_round_trips(runs: int) -> list[float]:
    manager = AsyncKernelManager(kernel_name="python3")
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    samples = []
    before = cpu_parts(None)
    try:
        for _ in range(runs):
            start = time.perf_counter()
            msg_id = client.execute("1+1")
            while True:
                message = await client.get_iopub_msg(timeout=10)
                if (
                    message["parent_header"].get("msg_id") == msg_id
                    and message["header"]["msg_type"] == "execute_result"
                ):
                    break
            samples.append((time.perf_counter() - start) * 1000)
            while True:  # let the kernel go idle before the next run
                message = await client.get_iopub_msg(timeout=10)
                if (
                    message["parent_header"].get("msg_id") == msg_id
                    and message["content"].get("execution_state") == "idle"
                ):
                    break
        CPU["bare"] = cpu_per_run(before, cpu_parts(None), runs)
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
    return samples


CPU: dict[str, str] = {}
"""CPU ms per timed run of each side's parts, as `cpu_per_run` prints them."""


def result_of(client: YClient) -> Any:
    """The cell's result (after a warning, for one: IPython's output cache is flushed at
    every 1,000th result, with a warning on stderr first)."""
    outputs = client.cells[1]["outputs"]
    results = (o.get("data") for o in outputs if o.get("output_type") == "execute_result")
    return next(results, None)


async def pairbook_round_trips(
    server: ServerProcess, runs: int, peers: list[YClient]
) -> list[float]:
    driver = peers[0]
    await driver.set_source(1, "1+1")
    await driver.command("run", cells=["code-0"])  # start the kernel outside the timing
    for peer in peers:
        await peer.wait_until(lambda p=peer: result_of(p) == {"text/plain": "2"}, timeout=60)  # type: ignore[misc]
    samples = []
    assert server.proc is not None
    before = cpu_parts(server.proc.pid)
    for i in range(runs):
        await driver.set_source(1, f"1+{i}")
        expected = {"text/plain": str(1 + i)}
        start = time.perf_counter()
        await driver.command("run", cells=["code-0"])
        for n, peer in enumerate(peers):
            try:
                await peer.wait_until(lambda p=peer, e=expected: result_of(p) == e, timeout=30)  # type: ignore[misc]
            except TimeoutError:
                tail = "\n".join(server.log().splitlines()[-30:])
                raise SystemExit(
                    f"run {i}: peer {n} never saw {expected} (has {result_of(peer)}; cell "
                    f"{peer.cells[1].to_py()}; kernel {peer.doc.get('kernel', type=Map).to_py()}"
                    f"); the server's log ends:\n{tail}"
                ) from None
        samples.append((time.perf_counter() - start) * 1000)
        # As for bare jupyter_client: the next run starts from an idle kernel (untimed).
        await driver.wait_until(lambda: run_finished(driver), timeout=30)
    CPU["pairbook"] = cpu_per_run(before, cpu_parts(server.proc.pid), runs)
    return samples


def run_finished(client: YClient) -> bool:
    """Whether the cell's last run is over: its record is final and the kernel idle."""
    kernel = client.doc.get("kernel", type=Map)
    return kernel.get("current") is None and kernel.get("status") == "idle"


async def streaming(peers: list[YClient], lines: int) -> float:
    driver = peers[0]
    await driver.set_source(2, f"for i in range({lines}):\n    print(i)")
    last = f"{lines - 1}\n"

    def done(peer: YClient) -> bool:
        outputs = peer.cells[2]["outputs"]
        return bool(len(outputs)) and str(outputs[0].get("text", "")).endswith(last)

    start = time.perf_counter()
    await driver.command("run", cells=["code-1"])
    for peer in peers:
        await peer.wait_until(lambda p=peer: done(p), timeout=120)  # type: ignore[misc]
    return lines / (time.perf_counter() - start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--peers", type=int, default=10)
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--store", help="pairbook --store (default: SQLite in a temp dir)")
    parser.add_argument("--autosave-delay", type=float, default=1.0)
    more = "one more pairbook serve argument (--server-arg=--kernel-sandbox --server-arg=none)"
    parser.add_argument("--server-arg", action="append", default=[], help=more)
    args = parser.parse_args()
    bare = await bare_round_trips(args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "nb"
        write_notebook(root / "bench.ipynb")
        store = args.store or str(Path(tmp) / "store.sqlite")
        # The server's default autosave (1 s of quiet), not the test suite's 0.1 s, which
        # wrote the notebook file after nearly every timed run.
        extra = ("--autosave-delay", str(args.autosave_delay), *args.server_arg)
        with ServerProcess(root, store=store, args=extra) as server:
            url = server.ws_url("bench.ipynb")
            async with contextlib.AsyncExitStack() as stack:
                peers = [await stack.enter_async_context(YClient(url)) for _ in range(args.peers)]
                ours = await pairbook_round_trips(server, args.runs, peers)
                rate = await streaming(peers, args.lines)
    print(f"run round trip of 1+1, {args.runs} runs (ms)      p50     p99")
    print(f"  bare jupyter_client (one client)        {percentile(bare, .5):7.2f} "
          f"{percentile(bare, .99):7.2f}")  # fmt: skip
    print(f"  pairbook, result in all {args.peers} peers' docs  {percentile(ours, .5):7.2f} "
          f"{percentile(ours, .99):7.2f}")  # fmt: skip
    print(f"  pairbook overhead at p50: {percentile(ours, .5) - percentile(bare, .5):.2f} ms "
          f"(mean {statistics.mean(ours) - statistics.mean(bare):.2f} ms)")  # fmt: skip
    print("CPU per run (ms; pairbook's client also applies its edits and sends the source):")
    print(f"  bare jupyter_client: {CPU['bare']}")
    print(f"  pairbook:            {CPU['pairbook']}")
    print(f"output streaming: {args.lines} lines reached {args.peers} peers at {rate:,.0f} lines/s")


if __name__ == "__main__":
    asyncio.run(main())
