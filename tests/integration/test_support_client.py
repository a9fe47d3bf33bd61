"""The test client leaves no socket behind when the test's body fails: a socket left open was
collected during a later test on the same worker and failed it (unclosed transport)."""

from __future__ import annotations

from websockets.protocol import State

from support.client import YClient
from support.server import ServerProcess


async def test_a_client_whose_body_fails_closes_its_socket(server: ServerProcess) -> None:
    client = YClient(server.ws_url("demo.ipynb"))
    failed = False
    try:
        async with client:
            raise LookupError("the test failed here")
    except* LookupError:
        failed = True
    assert failed
    assert client.ws is not None
    assert client.ws.state is State.CLOSED
