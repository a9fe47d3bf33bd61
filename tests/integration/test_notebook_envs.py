"""Per-notebook environments: a notebook that declares its requirements gets a kernel started
from its own uv-built environment, so two notebooks on one server never share packages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Map

from support.client import YClient
from support.server import ServerProcess
from support.wheels import make_wheel

PROBE = "pairbook-check-probe"
IMPORT_PROBE = "import pairbook_check_probe\nprint(pairbook_check_probe.WHO)"
FIND_STARLETTE = "import importlib.util\nprint(importlib.util.find_spec('starlette') is None)"
BUILD = 240.0  # seconds: a cold environment is built with uv before the kernel starts


def write(path: Path, sources: list[str], **metadata: Any) -> None:
    cells: list[dict[str, Any]] = [
        {"cell_type": "code", "id": f"code-{i}", "metadata": {}, "source": source,
         "outputs": [], "execution_count": None}
        for i, source in enumerate(sources)
    ]  # fmt: skip
    nb = {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}, **metadata}}  # fmt: skip
    path.write_text(json.dumps(nb))


@pytest.fixture
def env_server(
    workdir: Path, store_path: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, PROBE, "1.0", 'WHO = "probe 1.0"\n')
    envs = tmp_path_factory.getbasetemp() / "notebook-envs"
    write(workdir / "with-probe.ipynb", [IMPORT_PROBE, FIND_STARLETTE],
          pairbook={"environment": {"requirements": [f"{PROBE}==1.0"]}})  # fmt: skip
    write(workdir / "own-env.ipynb", [IMPORT_PROBE, FIND_STARLETTE],
          pairbook={"environment": {"requirements": []}})  # fmt: skip
    env = {"PAIRBOOK_ENV_CACHE": str(envs), "UV_FIND_LINKS": str(wheels)}
    with ServerProcess(workdir, store=store_path, env=env) as running:
        yield running


def text_of(client: YClient, index: int) -> str:
    parts = []
    for output in client.cells[index]["outputs"]:
        out = output.to_py() if hasattr(output, "to_py") else output
        parts.append(str(out.get("text", "")) + str(out.get("ename", "")))
    return "".join(parts)


async def run(client: YClient, index: int, cell_id: str | None = None) -> str:
    """Run cell `index` (id `code-INDEX` unless given); its output's text once the run ended
    (a stream may arrive in pieces: the run's record says when it is over)."""
    reply = await client.command("run", cells=[cell_id or f"code-{index}"])
    assert reply["ok"], reply
    execution = reply["result"]["queued"][0]

    def ended() -> bool:
        record = client.map("executions").get(execution) or {}
        return record.get("status") not in (None, "queued", "running", "waiting-input")

    await client.wait_until(ended, timeout=BUILD)
    return text_of(client, index)


async def test_each_notebook_kernel_sees_only_its_own_environment(
    env_server: ServerProcess,
) -> None:
    server = env_server
    async with (
        YClient(server.ws_url("with-probe.ipynb")) as first,
        YClient(server.ws_url("own-env.ipynb")) as second,
    ):
        assert await run(first, 0) == "probe 1.0\n"
        environment = first.map("kernel")["environment"]
        assert environment["status"] == "ready"
        assert environment["source"] == "metadata.pairbook.environment"
        assert environment["requirements"] == [f"{PROBE}==1.0"]
        assert await run(second, 0) == "ModuleNotFoundError"
        # Neither kernel sees pairbook's own packages either.
        assert await run(first, 1) == "True\n"
        assert await run(second, 1) == "True\n"
        assert (
            first.map("kernel")["environment"]["key"] != second.map("kernel")["environment"]["key"]
        )

    # `pairbook requirements` pins the version the notebook's environment has.
    status, text = server.get("/api/requirements/with-probe.ipynb")
    assert status == 200, text
    assert f"{PROBE}==1.0" in str(text)


async def test_a_notebook_declaring_nothing_keeps_the_servers_kernel(
    env_server: ServerProcess,
) -> None:
    async with YClient(env_server.ws_url("demo.ipynb")) as client:
        assert await run(client, 1, "code-0") == "1\n"  # after the markdown cell
        assert "environment" not in client.map("kernel")


async def test_an_environment_uv_cannot_build_says_why_in_the_room(
    env_server: ServerProcess, workdir: Path
) -> None:
    write(workdir / "impossible.ipynb", ["print(1)"],
          pairbook={"environment": {"requirements": [f"{PROBE}==99"]}})  # fmt: skip
    async with YClient(env_server.ws_url("impossible.ipynb")) as client:
        await client.command("run", cells=["code-0"])

        def failed() -> bool:
            record = client.map("kernel").get("environment") or {}
            return bool(record.get("status") == "failed")

        await client.wait_until(failed, timeout=BUILD)
        assert "uv could not build the environment" in client.map("kernel")["environment"]["error"]


async def test_a_restart_starts_the_kernel_in_the_environment_now_declared(
    env_server: ServerProcess,
) -> None:
    async with YClient(env_server.ws_url("with-probe.ipynb")) as client:
        assert await run(client, 0) == "probe 1.0\n"
        first = client.map("kernel")["environment"]["key"]

        def declare_nothing_but_ipykernel(doc: Any) -> None:
            metadata = doc.get("meta", type=Map)["metadata"]
            metadata["pairbook"] = {"environment": {"requirements": []}}

        await client.edit(declare_nothing_but_ipykernel)
        assert (await client.command("restart", timeout=BUILD))["ok"]
        await client.wait_until(
            lambda: client.map("kernel")["environment"].get("key") not in (None, first), BUILD
        )
        await client.set_source(0, "import pairbook_check_probe")
        assert await run(client, 0) == "ModuleNotFoundError"
