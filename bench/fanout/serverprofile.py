"""Memory per room of a real server: `pairbook serve` (uvicorn or Granian) with stock Node
clients holding `--rooms` rooms x 4 connections open (hold.mjs), as bench/fanout's many-rooms
section opens them, but without the edits: RSS of the server's process tree before any room,
after a first room (its lazy imports and caches) and with every room open and synced.

    .venv/bin/python bench/fanout/serverprofile.py --rooms 200 [--server granian] [--trace 6]

`--trace N` runs the server under tracemalloc (N frames) and prints what the rooms after the
first one allocated, per room, grouped by the innermost frame in pairbook, Starlette or the
ASGI server (RSS then includes tracemalloc's own bookkeeping). roomprofile.py is the same
without a network, to see the room and its services alone.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path

from notebooks import typing_notebook, write_notebook
from servers import TOKEN

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# Loaded by the server's interpreter (through PYTHONPATH): SIGUSR1 writes a snapshot.
SITECUSTOMIZE = """
import os
if os.environ.get("SERVERPROFILE_SNAPSHOTS"):
    import gc, signal, tracemalloc
    _taken = [0]
    def _snapshot(signum, frame):
        gc.collect()
        path = f"{os.environ['SERVERPROFILE_SNAPSHOTS']}-{_taken[0]}.pickle"
        tracemalloc.take_snapshot().dump(path)
        _taken[0] += 1
    signal.signal(signal.SIGUSR1, _snapshot)
"""


def tree(pid: int) -> list[int]:
    pids, found = [pid], []
    while pids:
        each = pids.pop()
        found.append(each)
        try:
            children = Path(f"/proc/{each}/task/{each}/children").read_text().split()
        except OSError:
            continue
        pids += [int(child) for child in children]
    return found


def rss_kib(pid: int) -> int:
    total = 0
    for each in tree(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def hold(port: int, start: int, rooms: int) -> subprocess.Popen[str]:
    config = {
        "serverUrl": f"ws://127.0.0.1:{port}/rooms",
        "params": {"token": TOKEN},
        "rooms": rooms,
        "perRoom": 4,
        "start": start,
    }
    clients = subprocess.Popen(
        ["node", str(HERE / "hold.mjs"), json.dumps(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert clients.stdout is not None
    line = clients.stdout.readline()
    if not line.startswith("READY"):
        raise RuntimeError(f"the clients did not connect: {line!r}")
    return clients


def owner(traceback: tracemalloc.Traceback) -> str:
    """The innermost frame in pairbook, Starlette or the ASGI server (else the innermost)."""
    frames = list(traceback)
    for frame in reversed(frames):  # innermost last
        if any(name in frame.filename for name in ("pairbook", "starlette", "uvicorn", "granian")):
            break
    else:
        frame = frames[-1]
    name = frame.filename.split("site-packages/")[-1].split("server/")[-1]
    return f"{name}:{frame.lineno}"


def report(before: Path, after: Path, rooms: int, top: int) -> None:
    stats = tracemalloc.Snapshot.load(str(after)).compare_to(
        tracemalloc.Snapshot.load(str(before)), "traceback"
    )
    sizes: collections.Counter[str] = collections.Counter()
    for stat in stats:
        sizes[owner(stat.traceback)] += stat.size_diff
    print(f"  traced: {sum(sizes.values()) / rooms / 1024:.1f} KiB/room")
    for name, size in sizes.most_common(top):
        print(f"  {size / rooms / 1024:8.2f} KiB/room  {name}")


def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="serverprofile-"))
    (workdir / "notebooks").mkdir()
    for i in range(args.rooms + 1):
        write_notebook(workdir / "notebooks" / f"many-{i:03d}.ipynb", typing_notebook())
    (workdir / "site").mkdir()
    (workdir / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = os.pathsep.join(filter(None, [str(workdir / "site"), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)
    snapshots = workdir / "snapshot"
    if args.trace:
        env.update(SERVERPROFILE_SNAPSHOTS=str(snapshots), PYTHONTRACEMALLOC=str(args.trace))
    command = [str(ROOT / ".venv" / "bin" / "pairbook"), "serve", str(workdir / "notebooks")]
    command += ["--host", "127.0.0.1", "--port", str(port), "--owner-token", TOKEN]
    command += ["--server", args.server, "--store", str(workdir / "log.sqlite")]
    with open(workdir / "server.log", "w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    held: list[subprocess.Popen[str]] = []
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        run = [p for p in tree(server.pid) if b"_run" in Path(f"/proc/{p}/cmdline").read_bytes()]
        time.sleep(1.0)
        rss0 = rss_kib(server.pid)
        held.append(hold(port, 0, 1))
        time.sleep(2.0)
        rss1 = rss_kib(server.pid)
        if args.trace:
            os.kill(run[0], signal.SIGUSR1)
            time.sleep(5.0)
        held.append(hold(port, 1, args.rooms))
        time.sleep(3.0)
        rss2 = rss_kib(server.pid)
        print(
            f"{args.server}, {args.rooms} rooms x 4 stock clients: RSS {rss0 / 1024:.1f} MiB "
            f"before any room, first room {(rss1 - rss0) / 1024:.2f} MiB, then "
            f"{(rss2 - rss1) / args.rooms:.1f} KiB per room" + (" (tracing)" if args.trace else "")
        )
        if args.trace:
            os.kill(run[0], signal.SIGUSR1)
            for _ in range(600):
                if Path(f"{snapshots}-1.pickle").exists():
                    break
                time.sleep(0.5)
            time.sleep(2.0)  # written
            report(
                Path(f"{snapshots}-0.pickle"), Path(f"{snapshots}-1.pickle"), args.rooms, args.top
            )
    finally:
        for clients in held:
            assert clients.stdin is not None
            clients.stdin.close()
            clients.wait(10)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    parser.add_argument("--trace", type=int, default=0, help="tracemalloc frames (0: off)")
    parser.add_argument("--top", type=int, default=30)
    main(parser.parse_args())
