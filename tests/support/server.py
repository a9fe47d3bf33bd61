"""A real `pairbook serve` process for integration tests."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

from support.reaper import released, spawn

REPO = Path(__file__).resolve().parents[2]
PAIRBOOK = Path(sys.executable).parent / "pairbook"
OWNER_TOKEN = "owner-test-token"


def _port_slice() -> range:
    """This test process's own ports: below the kernel's ephemeral range (where every
    `bind(0)` lands: jupyter_client's kernel ports, outgoing connections), one slice per
    xdist worker, so no other worker and no kernel can take a port between the moment it is
    picked here and the moment the server binds it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) if worker.isdigit() else 0
    start = 15000 + (index % 16) * 1000
    return range(start, start + 1000)


_PORTS = _port_slice()
_next_port = itertools.count(random.randrange(len(_PORTS)))


def free_port() -> int:
    """A port nothing listens on, never handed out twice in this process (until its slice of
    1000 wraps). Another test run on the machine at the same time may share the slice: the
    bind check skips what it holds."""
    for _ in range(len(_PORTS)):
        port = _PORTS[next(_next_port) % len(_PORTS)]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {_PORTS}")


class ServerProcess:
    """Starts pairbook in its own process group; stops it politely (SIGINT) or not (SIGKILL)."""

    def __init__(
        self,
        root: Path,
        *,
        store: str | None = None,
        server: str = "uvicorn",
        args: tuple[str, ...] = (),
        port: int | None = None,
        owner_token: str | None = OWNER_TOKEN,
        env: dict[str, str] | None = None,
    ) -> None:
        """`owner_token` None: no `--owner-token`, pairbook mints and prints an owner link;
        `env`: variables set for the server (and so its kernels) on top of the tests' own."""
        self.root = root
        self.store = store
        self.server = server
        self.args = args
        self.port = port or free_port()
        self.owner_token = owner_token
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = root.parent / f"pairbook-{self.port}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, notebook: str, token: str = OWNER_TOKEN) -> str:
        return f"ws://127.0.0.1:{self.port}/rooms/{quote(notebook)}?token={quote(token)}"

    def start(self) -> Self:
        """Launch the server and return once `/api/health` answers."""
        self.launch()
        assert self.proc is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pairbook exited early:\n{self.log()}")
            if self.healthy():
                return self
            time.sleep(0.05)  # readiness poll of a process we just started
        raise RuntimeError(f"pairbook did not become healthy in 30 s:\n{self.log()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/api/health", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def launch(self) -> None:
        """Start `pairbook serve` and return at once (`start` also waits for it to answer)."""
        command = [
            str(PAIRBOOK), "serve", str(self.root), "--port", str(self.port),
            "--server", self.server, "--autosave-delay", "0.1", "--log-format", "json",
            *self.args,
        ]  # fmt: skip
        if self.owner_token is not None:
            command += ["--owner-token", self.owner_token]
        if self.store is not None:
            command += ["--store", self.store]
        with self.log_path.open("ab") as log:
            # The machine's git identity must not become the test owner's name.
            env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                   **self.env}  # fmt: skip
            self.proc = spawn(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int:
        """Ctrl-C: a clean shutdown that flushes the store and saves notebooks."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                raise RuntimeError(f"pairbook did not stop on SIGINT:\n{self.log()}") from None
            finally:
                released(self.proc)
        released(self.proc)
        return self.proc.returncode

    def kill(self) -> None:
        """kill -9 of the whole process tree: nothing gets a chance to flush. Returns once
        every process of the tree is gone and the port refuses connections (the server
        process and its workers die a moment after the supervisor: a server started on the
        same port meanwhile would lose the port, and its health check would reach the old
        one)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        released(self.proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.01)
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.01)
        raise RuntimeError(f"pairbook's port {self.port} stayed open after kill -9")

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """SIGSTOP of the whole process tree (its kernels too) for the block: nothing of the
        server runs meanwhile; what fell due (an idle cull, say) runs once it continues."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(self.proc.pid, signal.SIGCONT)

    def get(self, path: str, token: str | None = OWNER_TOKEN) -> tuple[int, object]:
        return self.request("GET", path, token=token)

    def request(
        self, method: str, path: str, body: object = None, token: str | None = OWNER_TOKEN
    ) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if token is not None:
            req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            status = exc.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def join(self, role: str, name: str, email: str = "") -> tuple[str, str]:
        """A new person with this role, joined through an invite as a browser does: their
        personal token and user id."""
        status, minted = self.request("POST", "/api/invites", {"role": role})
        assert status == 201, minted
        assert isinstance(minted, dict)
        joining = {"invite": minted["token"], "name": name, "email": email}
        status, joined = self.request("POST", "/api/join", joining)
        assert status == 201, joined
        assert isinstance(joined, dict)
        return str(joined["token"]), str(joined["user"]["id"])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
