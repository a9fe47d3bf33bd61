"""Downloads from the page: `GET /api/download/<path>?format=ipynb|py`, the room's current
content in the file's form (or the file, when the room is not open), offered as an attachment
under a safe name, to anyone who may read the notebook, and logged with who asked."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from support.client import YClient
from support.notebooks import write_notebook
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = pytest.mark.integration


def download(
    server: ServerProcess, path: str, fmt: str | None = None, token: str | None = OWNER_TOKEN
) -> tuple[int, dict[str, str], bytes]:
    url = f"{server.base}/api/download/{quote(path)}" + (f"?format={fmt}" if fmt else "")
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_a_notebook_not_open_downloads_as_its_file_and_as_py(
    server: ServerProcess, workdir: Path
) -> None:
    viewer, _ = server.join("viewer", "Vic")
    status, headers, body = download(server, "demo.ipynb", token=viewer)
    assert status == 200, body
    assert body == (workdir / "demo.ipynb").read_bytes()
    assert headers["content-type"] == "application/x-ipynb+json"
    disposition = headers["content-disposition"]
    assert disposition == "attachment; filename=\"demo.ipynb\"; filename*=UTF-8''demo.ipynb"
    status, headers, body = download(server, "demo.ipynb", "py", token=viewer)
    assert status == 200, body
    assert headers["content-type"] == "text/x-python; charset=utf-8"
    assert headers["content-disposition"].startswith('attachment; filename="demo.py"')
    text = body.decode()
    assert "# %% [markdown]\n# # Test notebook" in text
    assert "# %%\nx = 1\nprint(x)" in text
    assert "pairbook" not in text  # no run bookkeeping
    downloaded = [json.loads(line) for line in server.log().splitlines() if "downloaded" in line]
    assert [(d["room"], d["format"], d["role"], d["from"]) for d in downloaded] == [
        ("demo.ipynb", "ipynb", "viewer", "file"),
        ("demo.ipynb", "py", "viewer", "file"),
    ]
    assert downloaded[0]["user"].startswith("u-")


def test_a_download_is_refused_as_the_rest_of_the_api_refuses(server: ServerProcess) -> None:
    assert download(server, "demo.ipynb", token=None)[0] == 401
    assert download(server, "demo.ipynb", token="not-a-token")[0] == 401
    status, _, body = download(server, "demo.ipynb", "html")
    assert status == 400
    assert "ipynb or py" in json.loads(body)["error"]
    assert download(server, "missing.ipynb")[0] == 404
    assert download(server, "../demo.ipynb")[0] == 404
    assert download(server, ".hidden/demo.ipynb")[0] == 404


async def test_an_open_room_downloads_its_current_content_before_autosave(
    tmp_path: Path,
) -> None:
    root = tmp_path / "notebooks"
    name = 'data "2026"; é 数据.ipynb'
    write_notebook(root / name)
    saved = (root / name).read_bytes()
    with ServerProcess(root, args=("--autosave-delay", "3600")) as server:
        async with YClient(server.ws_url(name)) as ana:
            await ana.set_source(1, "x = 42")
            async with YClient(server.ws_url(name)) as bo:  # the server holds the edit
                await bo.wait_until(lambda: bo.source(1) == "x = 42")
            status, headers, body = download(server, name)
            assert status == 200, body
            nb = json.loads(body)
            assert "".join(nb["cells"][1]["source"]) == "x = 42"
            assert (root / name).read_bytes() == saved  # not autosaved yet
            assert "pairbook" not in nb["metadata"]
            status, headers, body = download(server, name, "py")
            assert status == 200, body
            assert "# %%\nx = 42\n" in body.decode()
    disposition = headers["content-disposition"]
    ascii_part, exact_part = disposition.split("; filename*=UTF-8''")
    assert ascii_part == 'attachment; filename="data _2026__ _ __.py"'
    assert unquote(exact_part) == "data _2026__ é 数据.py"
