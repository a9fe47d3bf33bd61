"""Stalls: how long one abusive input from the lowest role holds up another room.

Starts a real `pairbook serve` (the one beside this Python), keeps a "victim" room busy with
a client that sends a command and waits for its reply, over and over, and sends each
abusive input of issue #12 from another room. For each it prints the victim's longest round
trip while the input was handled, the server's memory (RSS of its process tree) and store
size after, and what the attacker was told.

Uses only the server CLI, pycrdt and websockets (no pairbook imports), so it runs against
any checkout: `.venv/bin/python bench/stalls.py` here, `/work/main/.venv/bin/python
bench/stalls.py` for the main's code. `--only viewer-update,listing` picks attacks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import websockets
from pycrdt import Array, Doc, Map, Text

PAIRBOOK = Path(sys.executable).parent / "pairbook"
OWNER = "bench-owner-token"
LOG_COLUMNS = (
    ("records", '"update"'),
    ("events", "data"),
    ("snapshots", "snapshot"),
    ("checkpoints", "snapshot"),
)


# -- the wire, by hand ---------------------------------------------------------------------------


def var_uint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def var_bytes(data: bytes) -> bytes:
    return var_uint(len(data)) + data


def read_var_bytes(frame: bytes, pos: int) -> bytes:
    length, shift = 0, 0
    while True:
        byte = frame[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return frame[pos : pos + length]


def sync_update(update: bytes) -> bytes:
    return b"\x00\x02" + var_bytes(update)


def command(body: dict[str, Any]) -> bytes:
    return b"\x64" + var_bytes(json.dumps(body).encode())


def awareness(entries: list[tuple[int, int, str]]) -> bytes:
    payload = var_uint(len(entries)) + b"".join(
        var_uint(client) + var_uint(clock) + var_bytes(state.encode())
        for client, clock, state in entries
    )
    return b"\x01" + var_bytes(payload)


# -- the server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_notebook(path: Path, cells: int = 3, output_bytes: int = 0) -> None:
    def cell(index: int) -> dict[str, Any]:
        return {"cell_type": "code", "id": f"c{index}", "source": f"x = {index}",
                "metadata": {}, "outputs": [], "execution_count": None}  # fmt: skip

    nb: dict[str, Any] = {
        "cells": [cell(i) for i in range(cells)],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    if output_bytes:
        line = "y" * 1000 + "\n"
        nb["cells"][0]["outputs"] = [
            {"output_type": "stream", "name": "stdout", "text": line}
            for _ in range(output_bytes // 1001)
        ]
    path.write_text(json.dumps(nb, indent=1))


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        log = (self.root.parent / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [str(PAIRBOOK), "serve", str(self.root), "--port", str(self.port),
             "--owner-token", OWNER, "--store", str(self.root.parent / "store.sqlite"),
             "--room-unload-delay", "600", "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url("/api/health"), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("pairbook did not start")

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ws(self, notebook: str, token: str = OWNER) -> str:
        return f"ws://127.0.0.1:{self.port}/rooms/{quote(notebook)}?token={quote(token)}"

    def post(self, path: str, body: dict[str, Any], token: str = OWNER) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url(path), data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def token(self, role: str, name: str | None = None) -> str:
        invite = self.post("/api/invites", {"role": role})["token"]
        if name is None:
            return str(invite)
        return str(self.post("/api/join", {"invite": invite, "name": name})["token"])

    def rss_mb(self) -> float:
        """Resident memory of the server's whole process tree."""
        assert self.proc is not None
        total, todo = 0, [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            todo += [int(c) for c in children]
        return total / 1024

    def store_mb(self) -> float:
        """Bytes the log holds (records, events, snapshots, checkpoints): the file and its
        write-ahead log also hold free and transient pages."""
        path = self.root.parent / "store.sqlite"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            total = 0
            for table, column in LOG_COLUMNS:
                row = db.execute(f"SELECT COALESCE(SUM(LENGTH({column})), 0) FROM {table}")
                total += int(row.fetchone()[0])
        return total / 1e6


# -- the victim --------------------------------------------------------------------------------


class Victim:
    """A separate process that sends `whoami` to its room and waits for the reply, again and
    again, and keeps the longest round trip since the last `reset` (a process of its own, so
    that building the abusive inputs here never counts as a stall of the server)."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--victim", url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # "ready"

    def reset(self) -> None:
        self._ask("reset")

    def report(self) -> tuple[float, int]:
        longest, rounds = self._ask("report").split()
        return float(longest), int(rounds)

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)

    def _ask(self, what: str) -> str:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()


async def run_victim(url: str) -> None:
    longest, rounds = 0.0, 0
    loop = asyncio.get_running_loop()

    started: float | None = None  # of the round trip in flight

    async def ping() -> None:
        nonlocal longest, rounds, started
        async with websockets.connect(url, max_size=None) as ws:
            request = 0
            while True:
                request += 1
                started = time.perf_counter()
                await ws.send(command({"id": request, "command": "whoami"}))
                while True:
                    frame = await ws.recv()
                    if not isinstance(frame, bytes) or frame[:1] != b"\x64":
                        continue
                    if json.loads(read_var_bytes(frame, 1)).get("id") == request:
                        break
                longest = max(longest, time.perf_counter() - started)
                started = None
                rounds += 1
                await asyncio.sleep(0.005)

    task = asyncio.create_task(ping())
    print("ready", flush=True)
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        if line.strip() == "reset":
            longest, rounds = 0.0, 0
            print("ok", flush=True)
        elif line.strip() == "report":  # a round trip still waiting counts as far as it got
            waiting = 0.0 if started is None else time.perf_counter() - started
            print(f"{max(longest, waiting)} {rounds}", flush=True)
    task.cancel()


# -- the abusive inputs ------------------------------------------------------------------------


async def drain(ws: Any, seconds: float) -> str:
    """Read for a while; say how the server answered (denied, closed with what, nothing)."""
    told = "no answer"
    try:
        async with asyncio.timeout(seconds):
            while True:
                frame = await ws.recv()
                if isinstance(frame, bytes) and frame[:2] == b"\x02\x00":
                    told = "permission denied"
    except TimeoutError:
        return told
    except websockets.ConnectionClosed as closed:
        rcvd = closed.rcvd
        return f"closed {rcvd.code} {rcvd.reason[:60]!r}" if rcvd else "closed"
    return told


def map_update(keys: int) -> bytes:
    doc: Doc[Any] = Doc()
    scratch = doc.get("scratch", type=Map)
    with doc.transaction():
        for index in range(keys):
            scratch[f"key-{index}"] = index
    return doc.get_update()


def cells_update(count: int) -> bytes:
    doc: Doc[Any] = Doc()
    cells = doc.get("cells", type=Array)
    with doc.transaction():
        for index in range(count):
            cells.append(
                Map({"id": f"x{index}", "cell_type": "code", "source": Text("1"),
                     "metadata": Map(), "outputs": Array(), "execution_count": None})
            )  # fmt: skip
    return doc.get_update()


Attack = Callable[[Server, str, Callable[[], None]], Awaitable[str]]
"""Prepares its input, calls `start()` (the victim's measure begins), sends it to its own
room, says the outcome."""


async def viewer_update(server: Server, room: str, start: Callable[[], None]) -> str:
    update = map_update(250_000)
    async with websockets.connect(server.ws(room, server.token("viewer", "V")),
                                  max_size=None) as ws:  # fmt: skip
        start()
        await ws.send(sync_update(update))
        return f"{len(update) / 1e6:.1f} MB, {await drain(ws, 15)}"


async def editor_update(server: Server, room: str, start: Callable[[], None]) -> str:
    update = map_update(45_000)
    async with websockets.connect(server.ws(room), max_size=None) as ws:
        start()
        await ws.send(sync_update(update))
        return f"{len(update) / 1e6:.1f} MB, {await drain(ws, 15)}"


async def editor_cells(server: Server, room: str, start: Callable[[], None]) -> str:
    update = cells_update(20_000)
    async with websockets.connect(server.ws(room), max_size=None) as ws:
        start()
        await ws.send(sync_update(update))
        return f"{len(update) / 1e6:.1f} MB, {await drain(ws, 30)}"


async def awareness_ids(server: Server, room: str, start: Callable[[], None]) -> str:
    state = json.dumps({"user": {"name": "x"}, "cursor": None})
    async with websockets.connect(server.ws(room, server.token("viewer", "V")),
                                  max_size=None) as ws:  # fmt: skip
        told = ""
        frames = [
            awareness([(1_000_000 * (f + 1) + i, 1, state) for i in range(200_000)])
            for f in range(3)
        ]
        start()
        for frame in frames:
            try:
                await ws.send(frame)
            except websockets.ConnectionClosed:
                break
            told = await drain(ws, 3)
        return f"3 frames of 200,000 client ids, {told}"


async def command_flood(server: Server, room: str, start: Callable[[], None]) -> str:
    padding = "p" * 50_000
    async with websockets.connect(server.ws(room, server.token("viewer", "V")),
                                  max_size=None) as ws:  # fmt: skip
        frames = [command({"id": i, "command": "nope", "pad": padding}) for i in range(1000)]
        start()
        try:
            for frame in frames:
                await ws.send(frame)
        except websockets.ConnectionClosed:
            pass
        return f"1000 unknown 50 kB commands, {await drain(ws, 5)}"


async def guests(server: Server, room: str, start: Callable[[], None]) -> str:
    bare = server.token("editor")
    async with websockets.connect(server.ws(room), max_size=None) as owner:
        await owner.send(command({"id": 1, "command": "mob-mode", "mode": "mob"}))
        start()
        for _ in range(200):
            try:
                async with websockets.connect(server.ws(room, bare)) as guest:
                    await guest.recv()
            except websockets.ConnectionClosed as closed:
                return f"guest refused: {closed.rcvd.code if closed.rcvd else '?'}"
        await drain(owner, 2)
    return "200 bare-invite guests joined and left"


async def listing(server: Server, room: str, start: Callable[[], None]) -> str:
    def get() -> int:
        request = urllib.request.Request(
            server.url("/api/notebooks"), headers={"Authorization": f"Bearer {OWNER}"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return len(json.loads(response.read())["notebooks"])

    start()
    counts = await asyncio.gather(*(asyncio.to_thread(get) for _ in range(5)))
    return f"5 concurrent listings of {counts[0]} notebooks (one of 100 MB)"


async def open_big(server: Server, room: str, start: Callable[[], None]) -> str:
    start()
    url = server.ws("medium.ipynb")
    async with websockets.connect(url, max_size=None, open_timeout=300) as ws:
        frame = await ws.recv()
        return f"opened a 40 MB notebook (first frame {len(frame)} bytes)"


ATTACKS: dict[str, Attack] = {
    "viewer-update": viewer_update,
    "editor-update": editor_update,
    "editor-cells": editor_cells,
    "awareness-ids": awareness_ids,
    "command-flood": command_flood,
    "guests": guests,
    "listing": listing,
    "open-big": open_big,
}


async def bench(root: Path, only: list[str]) -> None:
    with Server(root) as server:
        victim = Victim(server.ws("victim.ipynb"))
        await asyncio.sleep(2)
        header = f"{'attack':<15} {'victim longest':>15} {'rounds':>7} {'RSS MB':>8} {'log MB':>9}"
        print(header + "  attacker was told")
        longest, rounds = victim.report()
        print(f"{'(idle)':<15} {longest * 1000:>12.1f} ms {rounds:>7} "
              f"{server.rss_mb():>8.0f} {server.store_mb():>9.1f}")  # fmt: skip
        for name in only:
            room = f"{name}.ipynb"
            write_notebook(root / room)
            try:
                told = await ATTACKS[name](server, room, victim.reset)
            except Exception as exc:  # a bench reports what happened, whatever it was
                told = f"error: {type(exc).__name__}: {exc}"
            await asyncio.sleep(1)  # the room's upkeep (log flush) runs meanwhile
            longest, rounds = victim.report()
            row = f"{name:<15} {longest * 1000:>12.1f} ms {rounds:>7} {server.rss_mb():>8.0f}"
            print(f"{row} {server.store_mb():>9.1f}  {told}", flush=True)
        victim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ATTACKS), help="comma-separated attacks")
    parser.add_argument("--victim", help=argparse.SUPPRESS)  # the victim process's room
    args = parser.parse_args()
    if args.victim:
        asyncio.run(run_victim(args.victim))
        return
    only = [name for name in args.only.split(",") if name]
    with tempfile.TemporaryDirectory(prefix="pairbook-stalls-") as tmp:
        root = Path(tmp) / "notebooks"
        root.mkdir()
        write_notebook(root / "victim.ipynb")
        if "listing" in only:
            write_notebook(root / "huge.ipynb", output_bytes=100_000_000)
        if "open-big" in only:
            write_notebook(root / "medium.ipynb", output_bytes=40_000_000)
        print(f"pairbook: {PAIRBOOK}")
        asyncio.run(bench(root, only))


if __name__ == "__main__":
    main()
