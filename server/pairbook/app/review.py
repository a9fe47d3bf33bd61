"""HTTP route of the review page: a notebook's net change since a git commit or a time.

`GET /api/review/<path>?since=<commit|time>&until=<time>`: anyone who may read the notebook
(viewer and up, the replay's check). The before side is the notebook file at a commit (read
with git) or the document at a time (from the log); the after side is the document at
`until` (default: now) from the log, or the file on disk for a notebook never opened.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pairbook.app.context import AppContext, context_of, grant_of
from pairbook.app.replay import flushed_replayer
from pairbook.errors import ConflictError, RequestError
from pairbook.mob.githistory import GitCommit, commit_of, commits_of, notebook_at
from pairbook.mob.summary import review_link
from pairbook.notebook import read_notebook, resolve_notebook_path
from pairbook.notebook.ipynb import parse_notebook
from pairbook.record.netchange import net_change
from pairbook.record.review import Side, review_json, review_of_log, side_at
from pairbook.types import RoomId


def parse_time(text: str) -> float | None:
    """Seconds since the epoch from a number or an ISO 8601 time (UTC unless it says);
    None when the text is neither (then it names a commit)."""
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(value) or not 0 <= value < 1e11:
            raise RequestError("a time must be seconds since the epoch (or ISO 8601)")
        return value
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


async def review_route(request: Request) -> Response:
    grant_of(request)
    context = context_of(request)
    room = context.rooms.key(str(request.path_params["path"]))
    path = resolve_notebook_path(context.settings.root, room)
    since_text = request.query_params.get("since", "").strip()
    until_text = request.query_params.get("until", "").strip()
    until_ts = parse_time(until_text) if until_text else None
    if until_text and until_ts is None:
        raise RequestError("?until= must be a time: seconds since the epoch, or ISO 8601")
    commits = await asyncio.to_thread(commits_of, path)
    recorded = room in await context.store.rooms()
    start = since_text == "start"  # the start of the recording, even with commits
    since_ts = parse_time(since_text) if since_text and not start else None
    commit: GitCommit | None = None
    if since_ts is None and not start and (since_text or commits):
        commit = (
            commits[0] if not since_text else await asyncio.to_thread(commit_of, path, since_text)
        )
    if commit is None and not recorded:
        raise ConflictError(
            f"{room} has no recording yet, so it has no session to review since a time: "
            "open it and edit, or review since a git commit"
        )
    if commit is not None:
        found, since = await _since_commit(context, room, path, commit, until_ts, recorded)
    else:
        found, since = await _since_time(context, room, since_ts, until_ts)
    since["commit"] = None if commit is None else commit.to_json()
    found["since"] = since
    found |= {"notebook": room, "recorded": recorded, "commits": [c.to_json() for c in commits]}
    until = found["until"]["ts"] if until_text else None
    found["link"] = review_link(room, commit.sha if commit else since["ts"], until)
    return JSONResponse(found)


async def _since_time(
    context: AppContext, room: RoomId, since_ts: float | None, until_ts: float | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    replayer = await flushed_replayer(context, room)
    until = await side_at(replayer, until_ts)
    if since_ts is not None:
        since = await side_at(replayer, since_ts)
        kind = "time"
    else:  # the whole recording: from the notebook as the server first loaded it
        since = await side_at(replayer, 0.0)
        kind = "start"
    found = await review_of_log(replayer, until, since=since)
    found["until"] = until.to_json()
    return found, {"kind": kind, **since.to_json()}


async def _since_commit(
    context: AppContext,
    room: RoomId,
    path: Path,
    commit: GitCommit,
    until_ts: float | None,
    recorded: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    limit = context.settings.max_notebook_bytes
    raw = await asyncio.to_thread(notebook_at, path, commit, limit)
    before = None
    if raw is not None:  # None: the commit does not hold the notebook: every cell is new
        salt = hashlib.sha256(raw).hexdigest()  # the ids a room gives id-less cells
        before = parse_notebook(raw, name=f"{room} at {commit.short}", salt=salt)
    if not recorded:
        after = (await asyncio.to_thread(read_notebook, path, max_bytes=limit)).nb
        found = review_json(net_change(before, after, {}, {}, commit.ts), {})
        found["until"] = Side(0, None).to_json()
    else:
        replayer = await flushed_replayer(context, room)
        until = await side_at(replayer, until_ts)
        found = await review_of_log(replayer, until, before=before, since_ts=commit.ts)
        found["until"] = until.to_json()
    return found, {"kind": "commit", "seq": 0, "ts": commit.ts, "in_commit": raw is not None}
