"""A real `jupyter lab` process (JupyterLab from .venv, with pairbook's extension that
scripts/install.sh built and installed there) for the JupyterLab browser tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from support.server import free_port

JUPYTER = Path(sys.executable).parent / "jupyter"
EXTENSION = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@pairbook" / "jupyterlab"


class LabProcess:
    """JupyterLab on 127.0.0.1 with no token, its settings, workspaces and runtime files in
    `home` (nothing from the machine's own JupyterLab), the app exposed as
    `window.jupyterapp` for the tests."""

    def __init__(self, home: Path, port: int | None = None) -> None:
        self.home = home
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = home / f"jupyterlab-{self.port}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        for folder in ("root", "config/labconfig", "runtime", "settings", "workspaces"):
            (self.home / folder).mkdir(parents=True, exist_ok=True)
        # No "get notified about Jupyter news?" toast over the notebook.
        disabled = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
        (self.home / "config" / "labconfig" / "page_config.json").write_text(json.dumps(disabled))
        command = [
            str(JUPYTER), "lab", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
            "--port", str(self.port), "--ServerApp.token=", "--ServerApp.password=",
            "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={self.home / 'root'}",
            f"--LabApp.user_settings_dir={self.home / 'settings'}",
            f"--LabApp.workspaces_dir={self.home / 'workspaces'}",
        ]  # fmt: skip
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
        }
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
            )
        self._wait_ready(120.0)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"jupyter lab did not answer:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
