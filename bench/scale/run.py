"""bench/scale: one pairbook process against two, with stock Node y-websocket clients.

    .venv/bin/python bench/scale/run.py                 # 500 rooms x 4 clients, 1 edit/s each
    .venv/bin/python bench/scale/run.py --rooms 100 --seconds 10

Each setting gets fresh processes on free ports, the machine's PostgreSQL (a fresh schema,
dropped after) and, for two processes, a redis-server of its own on a free port (configured
as the machine's: no persistence), so that its CPU is the bench's alone; PAIRBOOK_BENCH_REDIS
points it at another Redis instead (a fresh key prefix, deleted after):

- one: `pairbook serve --store postgresql://…`, pinned to core 0 (taskset);
- two: two such processes with `--broker redis://…`, pinned to cores 0 and 1; client c of
  room r connects to process (r + c) % 2, so every room has peers on both.

Printed side by side in one run: aggregate deliveries/s and delivery latency p50/p99 at the
same offered load (rooms x clients edits/s); in the two-process run, latency of deliveries
whose writer is on the same process against those that crossed Redis (the hop); then the
fan-out of one room (N clients, one writer at --fanout-rate edits/s) all on one process
against split over two. For each setting, where the CPU went over the measured window
(bench/scale/cpu.py: each pairbook process tree, the Node clients, the bench's own
redis-server, the PostgreSQL backends of the bench's connections), per delivery, and the
ceiling on deliveries/s those costs allow on the machine's cores.

The clients share the machine's two cores with the servers, and so do other people's jobs:
compare the ratios of one run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql

# The repository's root: cpu.py beside this script as bench.scale.cpu (so mypy, which checks
# every bench script together, tells it from the other benches' modules).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.scale import cpu

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PAIRBOOK = ROOT / ".venv" / "bin" / "pairbook"
TOKEN = "bench-owner-token"
POSTGRES = os.environ.get("PAIRBOOK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("PAIRBOOK_BENCH_REDIS")
APPLICATION = f"pairbook-bench-{secrets.token_hex(4)}"  # its PostgreSQL backends' name
NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "cells": [{"id": "bench-cell", "cell_type": "code", "source": "", "metadata": {},
               "outputs": [], "execution_count": None}],
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def fresh_schema() -> Iterator[tuple[str, str]]:
    """(a store URL on a fresh schema, the schema's name)."""
    name = f"pairbook_bench_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield f"{POSTGRES}?application_name={APPLICATION}&options=-csearch_path%3D{name}", name
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[str, int | None]]:
    """(a Redis URL, the pid of its redis-server if the bench started it)."""
    if REDIS is not None:
        yield REDIS, None
        return
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)


@contextlib.contextmanager
def fresh_prefix(url: str) -> Iterator[str]:
    prefix = f"pairbook-bench:{secrets.token_hex(6)}:"
    try:
        yield f"{url}?prefix={prefix}"
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@contextlib.contextmanager
def pairbook(root: Path, core: int, store: str, broker: str | None) -> Iterator[tuple[str, int]]:
    """One `pairbook serve` pinned to `core`: its rooms' websocket base URL, its pid."""
    port = free_port()
    command = ["taskset", "-c", str(core), str(PAIRBOOK), "serve", str(root), "--port", str(port),
               "--store", store, "--owner-token", TOKEN, "--log-level", "warning",
               "--no-kernel-state", "--no-twin"]  # fmt: skip
    if broker is not None:
        command += ["--broker", broker]
    log = (root.parent / f"pairbook-{port}.log").open("ab")
    proc = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pairbook did not start; see {log.name}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"ws://127.0.0.1:{port}/rooms", proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def clients(servers: list[str], config: dict[str, Any], meter: cpu.Meter) -> dict[str, Any]:
    """Run the Node clients; `meter` samples the CPU when they open and close the window
    (`@@WINDOW start|end` on their stdout) and gets their own pid as the `clients` part."""
    node = shutil.which("node") or "node"
    job = {"servers": servers, "token": TOKEN, **config}
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen([node, str(HERE / "clients.mjs"), json.dumps(job)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=errors, text=True)  # fmt: skip
        meter.parts["clients"] = lambda: cpu.pids_ticks([proc.pid])
        result: dict[str, Any] | None = None
        assert proc.stdout is not None
        for line in proc.stdout:  # the clients bound every wait of theirs
            if line.startswith("@@WINDOW "):
                meter.mark(line.split()[1])
            elif line.startswith("@@RESULT "):
                result = json.loads(line.removeprefix("@@RESULT "))
        proc.wait(60)
        if result is None:
            errors.seek(0)
            raise RuntimeError(f"the clients gave no result:\n{errors.read()[-3000:]}")
        return result


def measure(root: Path, processes: int, config: dict[str, Any]) -> dict[str, Any]:
    with fresh_schema() as (store, schema), contextlib.ExitStack() as stack:
        meter = cpu.Meter({})
        for name, column in (("log scans", "idx_scan"), ("log rows", "idx_tup_fetch")):
            meter.counters[name] = cpu.LogReads(POSTGRES, schema, column)
        broker = None
        if processes > 1:
            url, redis_pid = stack.enter_context(redis_server())
            broker = stack.enter_context(fresh_prefix(url))
            meter.parts["redis"] = (
                partial(cpu.pids_ticks, [redis_pid])
                if redis_pid is not None
                else partial(cpu.comm_ticks, "redis-server")  # others' use of it counts too
            )
        servers = []
        for core in range(processes):
            server, pid = stack.enter_context(pairbook(root, core, store, broker))
            servers.append(server)
            meter.parts[f"pairbook{'AB'[core]}"] = partial(cpu.tree_ticks, pid)
        meter.parts["postgres"] = cpu.BackendTicks(POSTGRES, APPLICATION)
        meter.parts[cpu.MACHINE] = cpu.machine_ticks
        result = clients(servers, config, meter)
        result["cpu"] = cpu.account(meter.seconds(), result, meter.wall())
        result["counts"] = meter.counts()
        return result


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def row(name: str, one: dict[str, Any], two: dict[str, Any]) -> list[str]:
    ratio = two["deliveries_per_s"] / one["deliveries_per_s"] if one["deliveries_per_s"] else 0
    return [
        f"{name}: deliveries/s one {one['deliveries_per_s']:.0f}  two {two['deliveries_per_s']:.0f}"
        f"  (x{ratio:.2f});  delivered {one['deliveries']}/{one['expected']} vs "
        f"{two['deliveries']}/{two['expected']}",
        f"  latency ms p50/p99: one {ms(one['all']['p50'])}/{ms(one['all']['p99'])}  "
        f"two {ms(two['all']['p50'])}/{ms(two['all']['p99'])}",
        f"  two processes, same process p50/p99 {ms(two['same']['p50'])}/{ms(two['same']['p99'])}"
        f" (n={two['same']['n']})  across Redis {ms(two['cross']['p50'])}/{ms(two['cross']['p99'])}"
        f" (n={two['cross']['n']})",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--fanout-clients", type=int, default=50)
    parser.add_argument("--fanout-rate", type=float, default=20)
    args = parser.parse_args(argv)
    load = f"{os.getloadavg()[0]:.1f}"
    with tempfile.TemporaryDirectory(prefix="pairbook-scale-") as temp:
        root = Path(temp) / "notebooks"
        root.mkdir()
        for r in range(max(args.rooms, 1)):
            (root / f"scale-{r}.ipynb").write_text(json.dumps(NOTEBOOK))
        many = {"rooms": args.rooms, "clients": args.clients, "writers": args.clients,
                "rate": 1, "seconds": args.seconds}  # fmt: skip
        fan = {"rooms": 1, "clients": args.fanout_clients, "writers": 1,
               "rate": args.fanout_rate, "seconds": args.seconds}  # fmt: skip
        results = {}
        for name, config in (("rooms", many), ("fanout", fan)):
            results[name] = [measure(root, n, config) for n in (1, 2)]
    print(
        f"bench/scale on {os.cpu_count()} cores (shared with the clients and other jobs); "
        f"load average before {load}, after {os.getloadavg()[0]:.1f}"
    )
    print(f"{args.rooms} rooms x {args.clients} clients, every client 1 edit/s, {args.seconds} s:")
    cores = os.cpu_count() or 1
    print("\n".join(row("many rooms", *results["rooms"])))
    print("\n".join(cpu.cpu_lines("many rooms", results["rooms"][0], results["rooms"][1], cores)))
    print(f"one room, {args.fanout_clients} clients, one writer at {args.fanout_rate}/s:")
    print("\n".join(row("fan-out", *results["fanout"])))
    print("\n".join(cpu.cpu_lines("fan-out", results["fanout"][0], results["fanout"][1], cores)))
    for name, (one, two) in results.items():
        print(f"{name} closes: one {one['closes'] or '-'}  two {two['closes'] or '-'}")
    out = ROOT / "bench" / "results" / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=1))
    print(f"raw figures: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
