"""The servers under test: each started in its own process group on a free port, then stopped."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NODE_SERVER = ROOT / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"
PAIRBOOK = ROOT / ".venv" / "bin" / "pairbook"
SERVERS = ("node", "pycrdt", "pairbook-granian", "pairbook-uvicorn")
TOKEN = "bench-owner-token"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
EXCEPTION_LINE = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Disconnect|Disconnected|Exit|Cancelled\w*))\b"
)
PEER_LEFT = re.compile(r"peer left .*reason=(\S+)")
CLOSED_IN = re.compile(r"closed_in_ms=([\d.]+)")


class Unavailable(Exception):
    """A server could not be started; the message says why."""


@dataclass(frozen=True)
class Launch:
    """How to start one server for one measurement."""

    kind: str
    workdir: Path  # fresh per launch: holds the notebooks (pairbook), store and logs
    store: str = "sqlite"  # pairbook only: "sqlite" (a file in workdir) or "memory"


@dataclass
class Server:
    """A running server and how clients reach its rooms."""

    kind: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    params: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def pairbook(self) -> bool:
        return self.kind.startswith("pairbook")

    @property
    def server_url(self) -> str:
        base = f"ws://127.0.0.1:{self.port}"
        return f"{base}/rooms" if self.pairbook else base

    def target(self, room: str, deflate: bool = True) -> dict[str, object]:
        """Where a y-websocket client finds the room, as clients.mjs takes it."""
        return {
            "serverUrl": self.server_url,
            "room": room,
            "params": self.params,
            "deflate": deflate,
        }

    def log_tail(self, lines: int = 25) -> list[str]:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return text.splitlines()[-lines:]

    def log_digest(self) -> dict[str, object]:
        """What the server log says went wrong: tracebacks, their exceptions and where in
        pairbook they were raised, error lines, and why pairbook peers left."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return {}
        exceptions: Counter[str] = Counter()
        frames: Counter[str] = Counter()
        left: Counter[str] = Counter()
        errors = []
        slow: list[float] = []  # ms from a full send buffer to the connection's end
        for i, line in enumerate(lines):
            if "ERROR" in line or "CRITICAL" in line or " error " in line:
                errors.append(line)
            if line.startswith("  File ") and "/pairbook/" in line and "site-packages" not in line:
                frames[line.strip().split("/server/")[-1]] += 1
            match = EXCEPTION_LINE.match(line)
            if match and i > 0 and lines[i - 1].startswith(" "):
                exceptions[match.group(1)] += 1
            match = PEER_LEFT.search(line)
            if match:
                left[match.group(1)] += 1
                closed_in = CLOSED_IN.search(line)
                if closed_in and match.group(1) == "slow_consumer":
                    slow.append(float(closed_in.group(1)))
        digest: dict[str, object] = {
            "tracebacks": sum(1 for line in lines if line.startswith("Traceback")),
            "exceptions": dict(exceptions),
            "pairbook_frames": [frame for frame, _ in frames.most_common(6)],
            "error_lines": errors[:10],
            "error_line_count": len(errors),
        }
        if left:
            digest["peer_left"] = dict(left)
        if slow:
            digest["slow_closed_in_ms"] = slow
        return digest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def command(launch: Launch, port: int) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if launch.kind == "node":
        node = shutil.which("node")
        if node is None:
            raise Unavailable("node is not on PATH")
        env.update(HOST="127.0.0.1", PORT=str(port))
        return [node, str(NODE_SERVER)], env
    if launch.kind == "pycrdt":
        return [sys.executable, str(HERE / "pycrdt_server.py"), "--port", str(port)], env
    if launch.kind in ("pairbook-granian", "pairbook-uvicorn"):
        if not PAIRBOOK.exists():
            raise Unavailable(f"{PAIRBOOK} is missing (pip install -e {ROOT})")
        store = "memory://" if launch.store == "memory" else str(launch.workdir / "log.sqlite")
        flavour = launch.kind.removeprefix("pairbook-")
        args = [str(PAIRBOOK), "serve", str(launch.workdir / "notebooks"), "--host", "127.0.0.1"]
        args += ["--port", str(port), "--owner-token", TOKEN, "--server", flavour]
        return [*args, "--store", store], env
    raise Unavailable(f"unknown server {launch.kind!r}; pick from {', '.join(SERVERS)}")


def ready_url(kind: str, port: int) -> str:
    path = "/api/health" if kind.startswith("pairbook") else "/"
    return f"http://127.0.0.1:{port}{path}"


def wait_ready(server: Server, url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            tail = " | ".join(line.strip() for line in server.log_tail(4) if line.strip())
            raise Unavailable(f"exited with code {code} before it was ready: {tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
                last = f"HTTP {answer.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code} from {url}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.1)
    raise Unavailable(f"not ready after {READY_TIMEOUT_S:.0f} s ({last})")


def stop(server: Server) -> int | None:
    """Stop the server's process group: SIGTERM, then SIGKILL. Returns the exit code."""
    if server.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.process.wait(STOP_TIMEOUT_S)
    # children left behind in the group (granian workers) go with it
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.pid, signal.SIGKILL)
    return server.process.returncode


def profile_with_py_spy(server: Server) -> None:
    """With PAIRBOOK_BENCH_PYSPY=FILE, record a pairbook server and its children with py-spy
    (1000 Hz, collapsed stacks in FILE; extra py-spy flags such as --gil in
    PAIRBOOK_BENCH_PYSPY_ARGS) until it stops. py-spy takes about a second to attach: the
    run waits for it, so what the server does as it starts is not in the profile."""
    out = os.environ.get("PAIRBOOK_BENCH_PYSPY")
    if not out or not server.kind.startswith("pairbook"):
        return
    extra = os.environ.get("PAIRBOOK_BENCH_PYSPY_ARGS", "").split()
    argv = ["py-spy", "record", "-s", "-r", "1000", "-f", "raw", *extra, "-o", out]
    subprocess.Popen([*argv, "--pid", str(server.pid)], start_new_session=True)
    time.sleep(1.0)


@contextlib.contextmanager
def running(launch: Launch) -> Iterator[Server]:
    """Start a server, yield it once it answers, and always stop it."""
    port = free_port()
    argv, env = command(launch, port)
    launch.workdir.mkdir(parents=True, exist_ok=True)
    log_path = launch.workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches its children
        )
    params = {"token": TOKEN} if launch.kind.startswith("pairbook") else {}
    server = Server(launch.kind, process, port, log_path, params)
    try:
        wait_ready(server, ready_url(launch.kind, port))
        profile_with_py_spy(server)
        yield server
    finally:
        stop(server)
