"""The fan-out bench: stock Node y-websocket clients against the Node reference server,
pycrdt-websocket and pairbook, side by side, in one command.

    .venv/bin/python bench/fanout/run.py [--sizes 2,10,50,200] [--edits 200] [--rate 100]
        [--servers node,pycrdt,pairbook-granian,pairbook-uvicorn] [--quick]

Prints one table per section and writes everything to bench/results/fanout-<time>.json.
See bench/fanout/README.md for how to read the figures.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from notebooks import large_notebook, small_notebook, write_notebook
from options import parse_options
from report import (
    durable_table,
    fanout_table,
    join_table,
    many_rooms_table,
    memory_table,
    stuck_table,
    summary_table,
)
from sections import Bench, Row, deflated, progress
from servers import ROOT

RESULTS = ROOT / "bench" / "results"


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    node = shutil.which("node")
    if node:
        answer = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
        found["node"] = answer.stdout.strip()
    for package in ("yjs", "y-websocket", "ws", "@jupyter/ydoc", "@y/websocket-server"):
        manifest = ROOT / "node_modules" / package / "package.json"
        if manifest.exists():
            found[package] = json.loads(manifest.read_text())["version"]
    for dist in ("pycrdt", "pycrdt-websocket", "uvicorn", "granian", "pairbook"):
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            found[dist] = "not installed"
    answer = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    found["git"] = answer.stdout.strip()
    return found


def emit(lines: list[str]) -> None:
    print("\n".join(lines) + "\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    started = dt.datetime.now()
    workdir = Path(tempfile.mkdtemp(prefix="pairbook-fanout-"))
    bench = Bench(options, workdir)
    meta: Row = {
        "started": started.isoformat(timespec="seconds"),
        "options": options.__dict__,
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "versions": versions(),
    }
    emit(
        [
            f"pairbook fan-out bench, {meta['started']}, {meta['cpus']} cores, "
            f"load average {meta['loadavg_start'][0]:.2f} at start",
            "clients: stock y-websocket {y-websocket} + yjs {yjs} on Node {node}; servers: "
            "@y/websocket-server {@y/websocket-server}, pycrdt-websocket {pycrdt-websocket}, "
            "pairbook {pairbook} (git {git})".format(**meta["versions"]),
            "clients offer permessage-deflate: "
            + ("yes (ws default, like browsers)" if options.client_deflate else "no"),
            "single runs on a shared machine: read the figures as ratios, and check the "
            "'other' column (CPU burnt by everything else during the run)",
        ]
    )
    results: Row = {"meta": meta}
    try:
        if "fanout" in options.sections:
            rows = results["fanout"] = bench.fanout()
            emit(fanout_table(rows, options.edits, options.rate))
            plain: list[Row] = []
            if options.deflate_pass and options.client_deflate and any(map(deflated, rows)):
                plain = results["fanout_no_deflate"] = bench.fanout_without_deflate(rows)
                emit(fanout_table(plain, options.edits, options.rate, deflate=False))
            emit(summary_table(rows, plain, options.sizes, options.servers))
        if "durable" in options.sections and "pairbook-uvicorn" in options.servers:
            results["durable"] = bench.durable()
            emit(durable_table(results["durable"], options.durable_n))
        if "stuck" in options.sections:
            results["stuck"] = bench.stuck()
            emit(stuck_table(results["stuck"], options.stuck_edits))
        if "rooms" in options.sections:
            results["many_rooms"] = bench.many_rooms()
            emit(many_rooms_table(results["many_rooms"], options.many_rooms, options.many_edits))
        if "join" in options.sections:
            large = large_notebook()
            path = workdir / "large.ipynb"
            size = write_notebook(path, large)
            meta["large_notebook_bytes"] = size
            results["join"] = bench.join(path, len(large["cells"]))
            emit(join_table(results["join"], size / 2**20, len(large["cells"]), options.joins))
        if "memory" in options.sections:
            path = workdir / "small.ipynb"
            write_notebook(path, small_notebook())
            results["memory"] = bench.memory(path)
            emit(memory_table(results["memory"], options.rooms))
    finally:
        meta["loadavg_end"] = os.getloadavg()
        meta["seconds"] = round((dt.datetime.now() - started).total_seconds(), 1)
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"fanout-{started.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(results, indent=1) + "\n")
        if options.keep:
            progress(f"server and client logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"results: {out.relative_to(ROOT)} ({meta['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
