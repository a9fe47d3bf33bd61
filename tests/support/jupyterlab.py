"""A real `jupyter lab` process (JupyterLab from .venv-tools, with pairbook's extension that
scripts/install.sh built and installed there) for the JupyterLab browser tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Self

from support.process import HelperProcess, answers
from support.server import free_port
from support.tools import TOOLS, TOOLS_BIN

JUPYTER = TOOLS_BIN / "jupyter"
EXTENSION = TOOLS / "share" / "jupyter" / "labextensions" / "@pairbook" / "jupyterlab"


class LabProcess(HelperProcess):
    """JupyterLab on 127.0.0.1 with no token, its settings, workspaces and runtime files in
    `home` (nothing from the machine's own JupyterLab), the app exposed as
    `window.jupyterapp` for the tests."""

    name = "jupyter lab"

    def __init__(self, home: Path, port: int | None = None) -> None:
        self.home = home
        self.port = port or free_port()
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
        self.launch(command, self.log_path, 120.0, env)
        return self

    def ready(self) -> bool:
        return answers(f"{self.base}/api/status")
