"""The review page's API against a real server, a real kernel and a real git repository."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pycrdt import Text

from support.client import YClient
from support.git import git
from support.pair import owner_and_bo
from support.server import ServerProcess

pytestmark = pytest.mark.integration

NB = "demo.ipynb"


def review(server: ServerProcess, token: str | None = None, **query: str) -> tuple[int, Any]:
    path = f"/api/review/{quote(NB)}"
    if query:
        path += "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())
    return server.get(path) if token is None else server.get(path, token=token)


def right_lines(cell: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["kind"], r["right"]["text"], r["right"]["user"]) for r in cell["rows"] if r["right"]]


async def ran(client: YClient, cell_id: str, index: int) -> None:
    def done() -> bool:
        runs = [r for r in client.map("executions").values() if r["cell_id"] == cell_id]
        return any(r["status"] == "ok" for r in runs) and len(client.cells[index]["outputs"]) > 0

    await client.wait_until(done, timeout=60)


async def test_two_people_edit_and_run_and_the_review_names_each_line_and_run(
    server: ServerProcess, workdir: Path
) -> None:
    git(workdir, "init", "-q")
    git(workdir, "add", NB)
    git(workdir, "commit", "-q", "-m", "the notebook before the session")
    base = git(workdir, "rev-parse", "HEAD")
    started = time.time()
    async with owner_and_bo(server, NB) as (ana, bo, bo_id):
        await ana.edit(lambda doc: ana.type_into(1, len("x = 1"), "0"))
        await bo.wait_until(lambda: bo.source(1) == "x = 10\nprint(x)")
        source: Text = bo.cells[2]["source"]
        await bo.edit(lambda doc: source.insert(len(source), "\nz = y * 2\nz"))
        await bo.edit(lambda doc: bo.add_code_cell("bo-cell", "print('from bo')"))
        await ana.wait_until(lambda: len(ana.cells) == 4 and "z = y" in ana.source(2))
        await ana.edit(lambda doc: ana.cells.__delitem__(0))  # the markdown intro goes
        await bo.wait_until(lambda: len(bo.cells) == 3)
        assert (await ana.command("run", cells=["code-0"]))["ok"]
        await ran(bo, "code-0", 0)
        assert (await bo.command("run", cells=["code-1"]))["ok"]
        await ran(ana, "code-1", 1)

        status, found = review(server)  # since the notebook's last commit
        assert status == 200, found
        assert found["since"]["kind"] == "commit"
        assert found["since"]["commit"]["sha"] == base
        assert [c["sha"] for c in found["commits"]] == [base]
        assert found["link"] == f"/notebooks/{NB}/review?since={base}"
        cells = {c["id"]: c for c in found["cells"]}
        assert [(c["id"], c["status"]) for c in found["cells"]] == [
            ("intro", "deleted"),
            ("code-0", "changed"),
            ("code-1", "changed"),
            ("bo-cell", "added"),
        ]
        assert right_lines(cells["code-0"]) == [
            ("changed", "x = 10", "owner"),
            ("equal", "print(x)", "pairbook:server"),  # as the server loaded it
        ]
        assert right_lines(cells["code-1"])[2:] == [
            ("added", "z = y * 2", bo_id),
            ("added", "z", bo_id),
        ]
        assert cells["bo-cell"]["authors"] == [bo_id]
        assert [o["text"] for o in cells["code-0"]["outputs_before"]] == ["1\n"]
        assert [o["text"] for o in cells["code-0"]["outputs_after"]] == ["10\n"]
        assert [o["text"] for o in cells["code-1"]["outputs_after"]] == ["22"]
        runs = {cid: cells[cid]["runs"] for cid in ("code-0", "code-1")}
        assert [(r["user"]["id"], r["produced_outputs"]) for r in runs["code-0"]] == [
            ("owner", True)
        ]
        assert [(r["user"]["name"], r["produced_outputs"]) for r in runs["code-1"]] == [
            ("Bo", True)
        ]
        assert found["people"][bo_id]["name"] == "Bo"
        assert found["counts"] == {
            "added": 1, "deleted": 1, "changed": 2, "unchanged": 0, "moved": 0, "runs": 2,
        }  # fmt: skip

        # Since a time: the log's document then is the one before; the same net change.
        status, timed = review(server, since=str(started - 1))
        assert status == 200, timed
        assert timed["since"]["kind"] == "time"
        assert [(c["id"], c["status"]) for c in timed["cells"]] == [
            (c["id"], c["status"]) for c in found["cells"]
        ]
        assert right_lines({c["id"]: c for c in timed["cells"]}["code-1"])[2:] == [
            ("added", "z = y * 2", bo_id),
            ("added", "z", bo_id),
        ]
        status, whole = review(server, since="start")  # the recording's start, not the commit
        assert status == 200, whole
        assert whole["since"]["kind"] == "start"
        assert whole["since"]["commit"] is None
        assert whole["counts"] == found["counts"]
        # Since now: nothing changed, the runs before are not in the span.
        status, now = review(server, since=str(time.time() + 1))
        assert status == 200, now
        assert {c["status"] for c in now["cells"]} == {"unchanged"}
        assert now["counts"]["runs"] == 0


async def test_anyone_who_may_read_sees_the_review_and_bad_revisions_are_refused(
    server: ServerProcess, workdir: Path
) -> None:
    git(workdir, "init", "-q")
    (workdir / "secret.txt").write_text("not a notebook\n")
    git(workdir, "add", ".")
    git(workdir, "commit", "-q", "-m", "first")
    viewer, _ = server.join("viewer", "Vi")
    status, found = review(server, token=viewer)  # never opened: the file on disk, no log
    assert status == 200, found
    assert found["recorded"] is False
    assert {c["status"] for c in found["cells"]} == {"unchanged"}
    assert server.get(f"/api/review/{NB}", token=None)[0] == 401
    assert review(server, token="not-a-token")[0] == 401
    for bad in ("HEAD:secret.txt", "--output=/tmp/x", "HEAD..HEAD~1", "nosuchbranch"):
        status, refused = review(server, since=bad)
        assert status == 400, (bad, refused)
        assert "error" in refused
    status, refused = review(server, since="1700000000", until="tomorrow")
    assert status == 400
    status, outside = server.get("/api/review/..%2Fetc%2Fpasswd.ipynb")
    assert status == 404, outside
    # No recording yet and a time asked for: nothing to review since then.
    status, conflict = review(server, since="1700000000")
    assert status == 409, conflict
