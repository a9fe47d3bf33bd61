"""The measurements: one fresh server per measurement, the Node clients driven through
clients.mjs, and every result kept as a row."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from notebooks import small_notebook, typing_notebook, write_notebook
from options import Options
from servers import ROOT, Launch, Server, Unavailable, running

HERE = Path(__file__).resolve().parent
CLIENTS = HERE / "clients.mjs"
Row = dict[str, Any]
STUCK_READERS = 10
STUCK_RATE = 200.0
STUCK_CHUNK = 8192  # characters per edit: an 8 KB update
MANY_PER_ROOM = 4


class Case(NamedTuple):
    """One fan-out measurement: a server, a room size, pairbook's store, client deflate."""

    kind: str
    n: int
    store: str
    deflate: bool


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
        if "pairbook-uvicorn" not in self.options.servers:
            return []
        n, deflate = self.options.durable_n, self.options.client_deflate
        stores = ("memory", "sqlite")
        rows = self.fanout_runs([Case("pairbook-uvicorn", n, s, deflate) for s in stores])
        for row in rows:
            row["store"] = "memory://" if row.get("store") == "memory" else "sqlite"
        return rows

    # -- a stuck peer -----------------------------------------------------------------------

    def stuck(self) -> list[Row]:
        """10 readers, 8 KB updates at 200/s, without and then with one more peer that syncs
        and stops reading: the others' latency, the server's RSS, how the stuck one ends."""
        options = self.options
        rows = []
        for kind in options.servers:
            for stuck in (False, True):
                label = f"stuck-{kind}" + ("-with" if stuck else "-without")
                progress(f"stuck peer {kind} " + ("with" if stuck else "without") + " it")
                launch = Launch(kind, self.launch_dir(label), options.pairbook_store)

                def prepare(notebooks: Path) -> None:
                    write_notebook(notebooks / "bench.ipynb", typing_notebook())

                def measure(server: Server, stuck: bool = stuck, log: Path = launch.workdir) -> Row:
                    config = {
                        "target": server.target(config_room(server), options.client_deflate),
                        "n": STUCK_READERS + 1,
                        "edits": options.stuck_edits,
                        "rate": STUCK_RATE,
                        "chunk": STUCK_CHUNK,
                        "sampleRss": True,
                        "workers": 1,
                        "connectTimeoutMs": 15000,
                        "settleTimeoutMs": 10000,
                        "quietMs": max(250, options.settle_ms // 4),
                        "drainTimeoutMs": 10000,
                        "stuckCloseWaitMs": 5000,
                        "serverPid": server.pid,
                        "clkTck": self.clk_tck,
                    }
                    budget = 60 + options.stuck_edits / STUCK_RATE
                    if not stuck:
                        return run_clients("fanout", config, log / "clients.log", budget)
                    with stuck_peer(server, server.target(config_room(server))) as finish:
                        row = run_clients("fanout", config, log / "clients.log", budget)
                        row["stuck"] = finish()
                    return row

                row = self.measure(launch, prepare, measure)
                rows.append({"server": kind, "stuckPeer": stuck, **row})
        return rows

    # -- many rooms -------------------------------------------------------------------------

    def many_rooms(self) -> list[Row]:
        """`--many-rooms` rooms x 4 clients, each typing 1 character a second."""
        options = self.options
        names = [f"many-{i:03d}.ipynb" for i in range(options.many_rooms)]
        rows = []
        for kind in options.servers:
            progress(f"many rooms {kind}: {len(names)} rooms x {MANY_PER_ROOM} clients")
            launch = Launch(kind, self.launch_dir(f"many-{kind}"), options.pairbook_store)

            def prepare(notebooks: Path) -> None:
                notebooks.mkdir(parents=True, exist_ok=True)
                for name in names:
                    write_notebook(notebooks / name, typing_notebook())

            def measure(server: Server, log: Path = launch.workdir / "clients.log") -> Row:
                config = {
                    "targets": [server.target(n, options.client_deflate) for n in names],
                    "perRoom": MANY_PER_ROOM,
                    "rate": 1.0,
                    "edits": options.many_edits,
                    "connectBatch": 25,
                    "serverPid": server.pid,
                    "clkTck": self.clk_tck,
                    "settleMs": options.settle_ms,
                    "timeoutMs": 60000,
                    "drainTimeoutMs": 10000,
                }
                budget = 240 + options.many_edits
                return run_clients("manyRooms", config, log, budget)

            rows.append({"server": kind, **self.measure(launch, prepare, measure)})
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


def config_room(server: Server) -> str:
    return "bench.ipynb" if server.pairbook else "stuck"


@contextlib.contextmanager
def stuck_peer(server: Server, target: dict[str, Any]) -> Iterator[Callable[[], Row]]:
    """A peer that syncs and stops reading, in its own process (stuck_peer.py); the caller
    gets a function that makes it read again and returns the close it then read."""
    params = urllib.parse.urlencode(target["params"])
    url = f"{target['serverUrl']}/{urllib.parse.quote(target['room'])}" + (
        f"?{params}" if params else ""
    )
    process = subprocess.Popen(
        [sys.executable, str(HERE / "stuck_peer.py"), url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    stdin, stdout = process.stdin, process.stdout

    def finish() -> Row:
        stdin.write("\n")
        stdin.flush()
        line = stdout.readline()
        return dict(json.loads(line)) if line.strip() else {"code": None, "reason": "no answer"}

    try:
        if stdout.readline().strip() != "stuck":
            raise RuntimeError("the stuck peer did not sync")
        yield finish
    finally:
        process.kill()
        process.wait()


def deflated(row: Row) -> bool:
    return "permessage-deflate" in (row.get("extensions") or "")


def median_run(runs: list[Row]) -> Row:
    """The run with the median p50 (all runs' headline figures kept in `runs`)."""
    measured = sorted((r for r in runs if r.get("p50") is not None), key=lambda r: r["p50"])
    chosen = measured[(len(measured) - 1) // 2] if measured else runs[-1]
    keys = ("p50", "p99", "max", "delivered", "expected", "otherCpuPct", "error")
    return {**chosen, "runs": [{k: r.get(k) for k in keys} for r in runs]}
