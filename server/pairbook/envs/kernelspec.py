"""The kernel spec that starts ipykernel from an environment's Python, and nothing else."""

from __future__ import annotations

import os
from typing import Any

from pairbook.envs.cache import Environment


def environment_kernel_spec(env: Environment, display_name: str) -> dict[str, Any]:
    """A kernel.json for `env`: its Python, its `bin` first on PATH, no PYTHONPATH and no
    user site-packages, so only the environment's packages are importable."""
    path = f"{env.path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {
        "argv": [str(env.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "env": {
            "PYTHONPATH": "",
            "PYTHONNOUSERSITE": "1",
            "VIRTUAL_ENV": str(env.path),
            "PATH": path,
        },
    }
