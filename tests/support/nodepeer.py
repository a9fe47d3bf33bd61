"""The stock-yjs Node peer (tests/interop/notebook_peer.mjs), run as a process of its own."""

from __future__ import annotations

import asyncio
import json
import shutil
from typing import Any

from support.server import OWNER_TOKEN, REPO

NODE = shutil.which("node") or "node"
PEER = REPO / "tests" / "interop" / "notebook_peer.mjs"


async def node_peer(port: int, command: str, arg: str = "") -> dict[str, Any]:
    """Run the peer's `command` (read, insert, wait-for, listen) on demo.ipynb through what
    listens on `port` (pairbook, or a proxy in front of it); the JSON it printed."""
    process = await asyncio.create_subprocess_exec(
        NODE, str(PEER), f"ws://127.0.0.1:{port}/rooms", "demo.ipynb", OWNER_TOKEN,
        command, arg, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    result: dict[str, Any] = json.loads(stdout)
    return result
