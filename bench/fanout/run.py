"""The fan-out bench: stock Node y-websocket clients against the Node reference server,
pycrdt-websocket and pairbook, side by side, in one command.

    .venv/bin/python bench/fanout/run.py [--sizes 2,10,50,200] [--edits 200] [--rate 100]
        [--servers node,pycrdt,pairbook-granian,pairbook-uvicorn] [--quick]

Prints one table per section and writes everything to bench/results/fanout-<time>.json.
See bench/fanout/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from notebooks import large_notebook, small_notebook, typing_notebook, write_notebook
from report import durable_table, fanout_table, join_table, memory_table, summary_table
from servers import ROOT, SERVERS, Launch, Server, Unavailable, running

HERE = Path(__file__).resolve().parent
CLIENTS = HERE / "clients.mjs"
RESULTS = ROOT / "bench" / "results"
SECTIONS = ("fanout", "durable", "join", "memory")
Row = dict[str, Any]


class Case(NamedTuple):
    """One fan-out measurement: a server, a room size, pairbook's store, client deflate."""

    kind: str
    n: int
    store: str
    deflate: bool


@dataclass(frozen=True)
class Options:
    sizes: list[int]
    edits: int
    rate: float
    servers: list[str]
    sections: list[str]
    pairbook_store: str
    client_workers: int  # 0: automatic
    durable_n: int
    joins: int
    rooms: int
    repeat: int
    settle_ms: int  # quiet time before timing (fan-out) and before reading RSS (memory)
    client_deflate: bool
    deflate_pass: bool  # re-run without deflate the servers that negotiated it
    keep: bool


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", help="room sizes N, comma-separated (default 2,10,50,200)")
    parser.add_argument("--edits", type=int, help="characters typed per run (default 200)")
    parser.add_argument("--rate", type=float, default=100.0, help="edits per second")
    parser.add_argument("--servers", default=",".join(SERVERS), help="servers, comma-separated")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"any of {','.join(SECTIONS)}"
    )
    parser.add_argument("--pairbook-store", choices=["memory", "sqlite"], default="sqlite")
    parser.add_argument(
        "--client-workers",
        type=int,
        default=0,
        help="reader worker threads per run (default 1: on 2 cores more is slower, see README)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each fan-out measurement K times and show the run with the median p50",
    )
    parser.add_argument(
        "--no-client-deflate",
        action="store_true",
        help="clients do not offer permessage-deflate (stock ws and browsers do)",
    )
    parser.add_argument("--quick", action="store_true", help="N=2,10, 50 edits: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (server logs)")
    args = parser.parse_args(argv)
    servers = [s for s in args.servers.split(",") if s]
    sections = [s for s in args.sections.split(",") if s]
    for name in servers:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}; pick from {','.join(SERVERS)}")
    for name in sections:
        if name not in SECTIONS:
            parser.error(f"unknown section {name!r}; pick from {','.join(SECTIONS)}")
    default_sizes = "2,10" if args.quick else "2,10,50,200"
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    if any(n < 2 for n in sizes):
        parser.error("every N must be at least 2 (one writer, one reader)")
    return Options(
        sizes=sizes,
        edits=args.edits or (50 if args.quick else 200),
        rate=args.rate,
        servers=servers,
        sections=sections,
        pairbook_store=args.pairbook_store,
        client_workers=args.client_workers,
        durable_n=10 if args.quick else 50,
        joins=3 if args.quick else 5,
        rooms=10 if args.quick else 20,
        repeat=max(1, args.repeat),
        settle_ms=500 if args.quick else 2000,
        client_deflate=not args.no_client_deflate,
        deflate_pass=not args.quick,
        keep=args.keep,
    )


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_clients(command: str, config: dict[str, Any], log_path: Path, timeout_s: float) -> Row:
    """Run one clients.mjs measurement and return its JSON result."""
    node = shutil.which("node")
    if node is None:
        return {"error": "node is not on PATH"}
    config = {**config, "hardTimeoutMs": int(timeout_s * 1000)}
    with log_path.open("ab") as log:
        try:
            done = subprocess.run(
                [node, str(CLIENTS), command, json.dumps(config)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                timeout=timeout_s + 30,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"clients.mjs {command} still running after {timeout_s + 30:.0f} s"}
    for line in done.stdout.decode(errors="replace").splitlines():
        if line.startswith("@@RESULT "):
            result: Row = json.loads(line.removeprefix("@@RESULT "))
            return result
    return {"error": f"clients.mjs {command} exited with {done.returncode} and no result"}


class Bench:
    """Runs the sections, one fresh server per measurement, and keeps every row."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.unavailable: dict[str, str] = {}  # kind -> reason, so a broken server fails fast
        self.launches = 0
        self.clk_tck = os.sysconf("SC_CLK_TCK")

    def launch_dir(self, label: str) -> Path:
        self.launches += 1
        return self.workdir / f"{self.launches:03d}-{label}"

    def measure(
        self,
        launch: Launch,
        prepare: Callable[[Path], None],
        measure: Callable[[Server], Row],
    ) -> Row:
        """Start a server, run one measurement against it, stop it, and note what it logged."""
        if launch.kind in self.unavailable:
            return {"unavailable": self.unavailable[launch.kind] + " (as above)"}
        prepare(launch.workdir / "notebooks")
        try:
            with running(launch) as server:
                row = measure(server)
                row["server_pid"] = server.pid
        except Unavailable as exc:
            reason = f"{launch.kind}: {exc}"
            self.unavailable[launch.kind] = str(exc)
            return {"unavailable": reason}
        row["server_exit"] = server.process.returncode
        row["server_log_tail"] = server.log_tail(15)
        row["server_log"] = server.log_digest()
        return row

    # -- fan-out ---------------------------------------------------------------------------

    def fanout_row(self, case: Case) -> Row:
        options = self.options
        kind, n = case.kind, case.n
        label = f"fanout-{kind}-n{n}" + (f"-{case.store}" if kind.startswith("pairbook") else "")
        label += "" if case.deflate else "-nodeflate"
        launch = Launch(kind, self.launch_dir(label), case.store)

        def prepare(notebooks: Path) -> None:
            write_notebook(notebooks / "bench.ipynb", typing_notebook())

        def measure(server: Server) -> Row:
            room = "bench.ipynb" if server.pairbook else f"fanout-n{n}"
            send_s = options.edits / options.rate
            config = {
                "target": server.target(room, case.deflate),
                "n": n,
                "edits": options.edits,
                "rate": options.rate,
                "workers": options.client_workers or 1,
                "connectTimeoutMs": 15000 + 100 * n,
                "settleTimeoutMs": 10000,
                "quietMs": max(250, options.settle_ms // 4),
                "drainTimeoutMs": 10000,
                "serverPid": server.pid,
                "clkTck": self.clk_tck,
            }
            budget = 15 + 0.1 * n + 10 + send_s + 10 + 20
            return run_clients("fanout", config, launch.workdir / "clients.log", budget)

        row = self.measure(launch, prepare, measure)
        if kind.startswith("pairbook"):
            row["store"] = case.store
        return {"server": kind, "n": n, "clientDeflate": case.deflate, **row}

    def fanout_runs(self, plan: list[Case]) -> list[Row]:
        """Run each case `--repeat` times, interleaved round by round so that a noisy minute
        on the machine hits every server alike; keep the median-p50 run of each."""
        runs: dict[Case, list[Row]] = {case: [] for case in plan}
        for attempt in range(self.options.repeat):
            rounds = self.options.repeat
            suffix = f" (round {attempt + 1}/{rounds})" if rounds > 1 else ""
            for case in plan:
                done = runs[case]
                if done and done[-1].get("unavailable"):
                    continue
                label = f" store={case.store}" if case.kind.startswith("pairbook") else ""
                label += "" if case.deflate else " no-deflate"
                progress(f"fan-out {case.kind} N={case.n}{label}{suffix}")
                done.append(self.fanout_row(case))
        return [median_run(runs[case]) for case in plan]

    def fanout(self) -> list[Row]:
        options = self.options
        plan = [
            Case(kind, n, options.pairbook_store, options.client_deflate)
            for n in options.sizes
            for kind in options.servers
        ]
        return self.fanout_runs(plan)

    def fanout_without_deflate(self, rows: list[Row]) -> list[Row]:
        """Again without permessage-deflate, for the servers that negotiated it: here up to
        199 readers inflate in one process, which can bound the figures (see README)."""
        kinds = [
            k for k in self.options.servers if any(deflated(r) for r in rows if r["server"] == k)
        ]
        store = self.options.pairbook_store
        plan = [Case(kind, n, store, False) for n in self.options.sizes for kind in kinds]
        return self.fanout_runs(plan)

    def durable(self) -> list[Row]:
        if "pairbook-granian" not in self.options.servers:
            return []
        n, deflate = self.options.durable_n, self.options.client_deflate
        stores = ("memory", "sqlite")
        rows = self.fanout_runs([Case("pairbook-granian", n, s, deflate) for s in stores])
        for row in rows:
            row["store"] = "memory://" if row.get("store") == "memory" else "sqlite"
        return rows

    # -- join time -------------------------------------------------------------------------

    def join(self, notebook_path: Path, cells: int) -> list[Row]:
        rows = []
        for kind in self.options.servers:
            progress(f"join time {kind}")
            launch = Launch(kind, self.launch_dir(f"join-{kind}"), self.options.pairbook_store)

            def prepare(notebooks: Path) -> None:
                notebooks.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(notebook_path, notebooks / "large.ipynb")

            def measure(server: Server, log: Path = launch.workdir / "clients.log") -> Row:
                config = {
                    "target": server.target("large.ipynb", self.options.client_deflate),
                    "seed": None if server.pairbook else str(notebook_path),
                    "joins": self.options.joins,
                    "expectCells": cells,
                    "timeoutMs": 30000,
                    "pauseMs": 200,
                }
                return run_clients("join", config, log, 120)

            rows.append({"server": kind, **self.measure(launch, prepare, measure)})
        return rows

    # -- memory per room -------------------------------------------------------------------

    def memory(self, notebook_path: Path) -> list[Row]:
        rows = []
        count = self.options.rooms
        names = [f"room-{i:02d}.ipynb" for i in range(count)]
        for kind in self.options.servers:
            progress(f"memory per room {kind}")
            launch = Launch(kind, self.launch_dir(f"memory-{kind}"), self.options.pairbook_store)

            def prepare(notebooks: Path) -> None:
                notebooks.mkdir(parents=True, exist_ok=True)
                for name in names:
                    shutil.copyfile(notebook_path, notebooks / name)

            def measure(server: Server, log: Path = launch.workdir / "clients.log") -> Row:
                config = {
                    "targets": [server.target(n, self.options.client_deflate) for n in names],
                    "seed": None if server.pairbook else str(notebook_path),
                    "expectCells": len(small_notebook()["cells"]),
                    "serverPid": server.pid,
                    "settleMs": self.options.settle_ms,
                    "timeoutMs": 30000,
                }
                return run_clients("rooms", config, log, 90)

            rows.append({"server": kind, **self.measure(launch, prepare, measure)})
        return rows


def deflated(row: Row) -> bool:
    return "permessage-deflate" in (row.get("extensions") or "")


def median_run(runs: list[Row]) -> Row:
    """The run with the median p50 (all runs' headline figures kept in `runs`)."""
    measured = sorted((r for r in runs if r.get("p50") is not None), key=lambda r: r["p50"])
    chosen = measured[(len(measured) - 1) // 2] if measured else runs[-1]
    keys = ("p50", "p99", "max", "delivered", "expected", "otherCpuPct", "error")
    return {**chosen, "runs": [{k: r.get(k) for k in keys} for r in runs]}


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
        if "durable" in options.sections and "pairbook-granian" in options.servers:
            results["durable"] = bench.durable()
            emit(durable_table(results["durable"], options.durable_n))
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
