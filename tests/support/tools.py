"""The programs the tests run (JupyterLab, the kernel gateway, the deploy/ checkers): in an
environment of their own, .venv-tools (scripts/tools.txt), not in pairbook's."""

from __future__ import annotations

from support.server import REPO

TOOLS = REPO / ".venv-tools"
TOOLS_BIN = TOOLS / "bin"
