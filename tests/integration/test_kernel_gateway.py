"""`pairbook serve --kernel-gateway URL`: the room's kernel runs on the real Jupyter Kernel
Gateway (jupyter-kernel-gateway, started by the test with an auth token), and outlives the
pairbook process: a process started after it re-attaches to the kernel by id."""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest

from support.client import YClient
from support.process import HelperProcess
from support.server import ServerProcess, free_port
from support.tools import TOOLS_BIN

pytestmark = pytest.mark.integration

JUPYTER = TOOLS_BIN / "jupyter"


class KernelGateway(HelperProcess):
    """jupyter kernelgateway on a free local port, serving kernels in `root`."""

    name = "the kernel gateway"
    stop_seconds = 30.0

    def __init__(self, root: Path, log: Path) -> None:
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.root, self.log = root, log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Any:
        request = urllib.request.Request(self.url + path)
        request.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def start(self) -> Self:
        command = [
            str(JUPYTER), "kernelgateway", "--KernelGatewayApp.ip=127.0.0.1",
            f"--KernelGatewayApp.port={self.port}",
            "--JupyterWebsocketPersonality.list_kernels=True",
        ]  # fmt: skip
        env = {**os.environ, "KG_AUTH_TOKEN": self.token}
        self.launch(command, self.log, 60.0, env, cwd=self.root)
        return self

    def ready(self) -> bool:
        try:
            self.get("/api")
        except OSError:
            return False
        return True


@pytest.fixture
def gateway(workdir: Path, tmp_path: Path) -> Iterator[KernelGateway]:
    running = KernelGateway(workdir, tmp_path / "gateway.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def pairbook(workdir: Path, store: str, gateway: KernelGateway, port: int) -> ServerProcess:
    args = ("--kernel-gateway", gateway.url)
    env = {"PAIRBOOK_KERNEL_GATEWAY_TOKEN": gateway.token}  # as a deployment passes secrets
    return ServerProcess(workdir, store=store, args=args, port=port, env=env)


def text_of(client: YClient, index: int) -> str:
    return "".join(str(output.get("text", "")) for output in client.cells[index]["outputs"])


async def run(client: YClient, source: str, expected: str) -> str:
    await client.set_source(2, source)
    await client.command("run", cells=["code-1"])
    await client.wait_until(lambda: expected in text_of(client, 2), timeout=60)
    return text_of(client, 2)


async def test_a_run_goes_through_the_gateway_and_its_kernel_outlives_the_process(
    workdir: Path, store_path: str, gateway: KernelGateway
) -> None:
    port = free_port()
    with pairbook(workdir, store_path, gateway, port) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            shown = await run(ana, "import os\nx = 41\nprint('parent', os.getppid())", "parent")
        assert shown.strip() == f"parent {gateway.proc.pid}"  # type: ignore[union-attr]
        kernels = gateway.get("/api/kernels")
        assert [k["name"] for k in kernels] == ["python3"]
    # pairbook stopped (Ctrl-C): the kernel lives on on the gateway, with its variables.
    assert [k["id"] for k in gateway.get("/api/kernels")] == [kernels[0]["id"]]
    with pairbook(workdir, store_path, gateway, port) as again:
        async with YClient(again.ws_url("demo.ipynb")) as bo:
            assert "x is 41" in await run(bo, "print('x is', x)", "x is")
        assert [k["id"] for k in gateway.get("/api/kernels")] == [kernels[0]["id"]]
        again.kill()  # kill -9: nothing lets go of anything; the kernel is still there
    with pairbook(workdir, store_path, gateway, port) as third:
        async with YClient(third.ws_url("demo.ipynb")) as cy:
            assert "x is still 41" in await run(cy, "print('x is still', x)", "x is still")
    assert [k["id"] for k in gateway.get("/api/kernels")] == [kernels[0]["id"]]


async def test_a_kernel_shut_down_by_a_person_is_gone_from_the_gateway(
    workdir: Path, store_path: str, gateway: KernelGateway
) -> None:
    with pairbook(workdir, store_path, gateway, free_port()) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            await run(ana, "print('hello')", "hello")
            assert len(gateway.get("/api/kernels")) == 1
            await ana.command("shutdown")
            deadline = time.monotonic() + 30
            while gateway.get("/api/kernels"):
                assert time.monotonic() < deadline, gateway.get("/api/kernels")
                time.sleep(0.1)  # noqa: ASYNC251  (the gateway deletes it in the background)
