"""The `.py` twin's pairing is notebook metadata any editor can change: against a real
server, an editor who points it at another Python file (a module of the project, another
notebook's twin) gets a warning on every page, and the file is neither written nor read
into the room."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jupytext
import pytest
from pycrdt import Doc, Map

from support.client import YClient
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = pytest.mark.security

MODULE = "def helper():\n    return 'the project needs me'\n"


def set_pairing(formats: str) -> Callable[[Doc[Any]], None]:
    def change(doc: Doc[Any]) -> None:
        doc.get("meta", type=Map)["metadata"]["jupytext"] = {"formats": formats}

    return change


async def wait_for(predicate: Callable[[], bool], timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - the server process writes the files
            await asyncio.sleep(0.05)  # polling a file another process writes


async def test_an_editor_cannot_point_the_twin_at_another_python_file(
    workdir: Path, store_path: str
) -> None:
    helpers = workdir / "lib" / "helpers.py"
    module = workdir / "lib" / "demo.py"  # the notebook's name, but a module of the project
    helpers.parent.mkdir()
    helpers.write_text(MODULE)
    module.write_text(MODULE)
    other = write_notebook(workdir / "sub" / "demo.ipynb", ["other = 'notebook'"])
    other_twin = other.with_suffix(".py")
    other_twin.write_text(jupytext.writes(jupytext.read(other), "py:percent"))
    before = {path: path.read_text() for path in (helpers, module, other_twin)}

    with ServerProcess(workdir, store=store_path, args=("--autosave-delay", "0.1")) as server:
        token, _ = server.join("editor", "Bo")
        async with YClient(server.ws_url("demo.ipynb", token)) as bo:
            assert (await bo.command("whoami"))["ok"]  # pairbook's events come to it now
            sources = bo.sources()
            for formats, target, why in (
                ("demo.ipynb,lib/helpers/py:percent", helpers, "does not keep the notebook"),
                ("ipynb,sub//py:percent", other_twin, "is the twin of demo.ipynb beside it"),
                ("ipynb,lib//py:percent", module, "was not written by jupytext"),
            ):
                await bo.edit(set_pairing(formats))
                refused = await bo.event("twin-refused")
                assert why in refused["message"], refused
                assert target.name in refused["message"]

            bo.type_into(2, 0, "# saved\n")
            notebook = workdir / "demo.ipynb"
            await wait_for(lambda: "# saved" in notebook.read_text())
            assert '"formats": "ipynb,lib//py:percent"' in notebook.read_text()
            assert {path: path.read_text() for path in before} == before
            assert bo.sources() == [sources[0], sources[1], "# saved\n" + sources[2]]
