"""The owner and Bo, an editor who joined through an invite, on one notebook of a real
server: how the tests of two people working together begin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from support.client import YClient
from support.server import ServerProcess


@asynccontextmanager
async def owner_and_bo(
    server: ServerProcess, notebook: str = "demo.ipynb"
) -> AsyncIterator[tuple[YClient, YClient, str]]:
    """The owner's client (Ana in the tests), Bo's, and Bo's user id, both synced."""
    bo_token, bo_id = server.join("editor", "Bo")
    async with (
        YClient(server.ws_url(notebook)) as ana,
        YClient(server.ws_url(notebook, bo_token)) as bo,
    ):
        yield ana, bo, bo_id
