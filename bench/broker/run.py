"""The broker hop bench: what a room's peers on another process wait, beside the same peers
on the writer's process, in one run.

    .venv/bin/python bench/broker/run.py [--edits 300] [--rate 50] [--readers 4] [--rounds 3]

Starts, on a fresh PostgreSQL schema and a fresh Redis key prefix, one `pairbook serve`
without a broker (the reference) and two with `--broker`, and drives stock Node clients
(hop.mjs): one writer types one character per edit at the end of the first cell;
`--readers` readers watch. Three placements, rounds interleaved:

- `alone`   — writer and readers on the process without a broker;
- `same`    — writer and readers on broker process A (the broker's cost on the local path);
- `across`  — writer on A, readers on B (the cross-process hop: log, XADD, XREAD, apply).

Prints delivery latency p50 / p99 / max in ms per placement (median-p50 round) and the
added hop (across - same). The machine is shared: read ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench" / "fanout")]

from notebooks import small_notebook, write_notebook  # noqa: E402

from support.postgres import fresh_schema  # noqa: E402
from support.redis import fresh_prefix  # noqa: E402
from support.server import OWNER_TOKEN, ServerProcess  # noqa: E402

NODE = shutil.which("node") or "node"
ROOM = "bench.ipynb"


def target(server: ServerProcess) -> dict[str, Any]:
    base = f"ws://127.0.0.1:{server.port}/rooms"
    return {"serverUrl": base, "room": ROOM, "params": {"token": OWNER_TOKEN}}


def measure(
    writer: ServerProcess, readers: ServerProcess, options: argparse.Namespace
) -> dict[str, float]:
    config = {
        "writer": target(writer),
        "readers": [target(readers)] * options.readers,
        "edits": options.edits,
        "rate": options.rate,
    }
    done = subprocess.run(
        [NODE, str(Path(__file__).with_name("hop.mjs")), json.dumps(config)],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=300,
    )  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("@@RESULT ")), None)
    if line is None:
        raise RuntimeError(f"hop.mjs failed:\n{done.stderr[-2000:]}")
    result = json.loads(line.removeprefix("@@RESULT "))
    latencies = sorted(result["latencies"])
    if not latencies:
        raise RuntimeError(f"nothing delivered ({result}):\n{done.stderr[-2000:]}")
    return {
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max": latencies[-1],
        "missing": result["missing"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pairbook-hop-"))
    results: dict[str, list[dict[str, float]]] = {"alone": [], "same": [], "across": []}
    with fresh_schema() as store, fresh_schema() as own_store, fresh_prefix() as broker:
        servers = []
        try:
            for name, args in (
                ("ref", ()),
                ("a", ("--broker", broker)),
                ("b", ("--broker", broker)),
            ):
                # The processes of a broker serve one folder; the reference a folder of its own.
                root = work / ("ref" if name == "ref" else "shared") / "notebooks"
                if not (root / ROOM).exists():
                    write_notebook(root / ROOM, small_notebook())
                # The reference has a schema of its own: its room is not the brokers' room.
                own = store if args else own_store
                servers.append(
                    ServerProcess(root, store=own, args=(*args, "--log-level", "warning")).start()
                )
            ref, a, b = servers
            for _ in range(options.rounds):
                results["alone"].append(measure(ref, ref, options))
                results["same"].append(measure(a, a, options))
                results["across"].append(measure(a, b, options))
        finally:
            for server in servers:
                server.stop()
    print(f"{options.readers} readers, {options.edits} edits at {options.rate}/s, "
          f"{options.rounds} rounds; delivery latency ms (median-p50 round)")  # fmt: skip
    print(f"{'placement':10} {'p50':>8} {'p99':>8} {'max':>8} {'missing':>8}")
    chosen = {}
    for placement, rounds in results.items():
        middle = sorted(rounds, key=lambda r: r["p50"])[len(rounds) // 2]
        chosen[placement] = middle
        print(f"{placement:10} {middle['p50']:8.2f} {middle['p99']:8.2f} {middle['max']:8.2f} "
              f"{int(middle['missing']):8d}")  # fmt: skip
    hop50 = statistics.median(r["p50"] for r in results["across"]) - statistics.median(
        r["p50"] for r in results["same"]
    )
    print(f"added by the hop (across - same), median p50: {hop50:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
