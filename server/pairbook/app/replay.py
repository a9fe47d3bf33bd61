"""HTTP routes of the replay: recordings, timeline, moments, playback chunks, blame, export.

Only people with access to the room see its recording: a valid token (the same check as
the notebook's websocket) and a notebook this server serves. People's emails are the
owner's: anyone else gets the log's updates without them (logs from before 6461f2c hold
them in the `mob` map).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from pairbook.app.context import AppContext, context_of, grant_of
from pairbook.app.headers import attachment
from pairbook.app.http import json_body, require
from pairbook.auth import Role
from pairbook.errors import AuthError, NotebookError, NotFoundError, RequestError
from pairbook.mob.service import MobService
from pairbook.notebook import list_notebooks
from pairbook.record import Replayer, export_lines
from pairbook.record.recordings import describe_recording
from pairbook.record.service import RecordingService
from pairbook.types import RoomId

MAX_CHUNK = 2000
MAX_NUMBER = 2**53  # the largest integer a float (and JavaScript) holds exactly


async def _replayer(request: Request) -> Replayer:
    """The room's replayer; the route has checked the caller's token (`grant_of`) first."""
    context = context_of(request)
    # The room's own name (refuses paths outside the root; a symlink names its target's room)
    room = context.rooms.key(str(request.path_params["path"]))
    if room not in await context.store.rooms():
        raise NotebookError(f"{room} has no recording yet: open it and edit, then replay")
    return await flushed_replayer(context, room)


async def flushed_replayer(context: AppContext, room: RoomId) -> Replayer:
    """The replayer of a recorded room, after the room's newest events reached the store."""
    entry = context.rooms.get(room)
    recording = None if entry is None else entry.find(RecordingService)
    if recording is not None:
        await recording.flush(held=True)  # the newest events and presence, too
    return context.rooms.replays.get(room)


def _owner(request: Request) -> bool:
    """Whether the caller is the owner: emails are the owner's to see. Everyone else gets
    a log's updates without them (`without_emails`): logs from before 6461f2c hold people's
    emails in the `mob` map."""
    return grant_of(request).role is Role.OWNER


def _number(request: Request, name: str, default: float | None = None) -> float | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise RequestError(f"?{name}= must be a number, got {text!r}") from None
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        # SQLite's integers are 64-bit: a bigger seq would fail deep in the store (a 500)
        raise RequestError(f"?{name}= must be a finite number between -2^53 and 2^53")
    return value


class MomentQuery:
    """The moment a request names: ?seq=N, or ?t=epoch seconds; the end by default.

    Read (and refused with a 400) before the room is looked up."""

    def __init__(self, request: Request) -> None:
        self.seq = _number(request, "seq")
        self.t = _number(request, "t")

    async def seq_in(self, replayer: Replayer) -> int:
        if self.seq is not None:
            return int(self.seq)
        if self.t is not None:
            return await replayer.store.seq_at(replayer.room, self.t)
        return (await replayer.bounds())[1]


async def recordings_route(request: Request) -> Response:
    grant_of(request)
    context = context_of(request)
    served = set(await asyncio.to_thread(list_notebooks, context.settings.root))
    recorded = [r for r in await context.store.rooms() if r in served]
    found = [await describe_recording(context.store, room) for room in recorded]
    return JSONResponse({"sessions": found})  # the API's key, kept so its clients keep working


async def timeline_route(request: Request) -> Response:
    grant_of(request)
    bins = int(_number(request, "bins", 400) or 400)
    replayer = await _replayer(request)
    timeline = await replayer.timeline(max(10, min(bins, 2000)))
    entry = context_of(request).rooms.get(RoomId(replayer.room))
    if entry is not None:
        timeline["live"] = True
    return JSONResponse(timeline)


async def moment_route(request: Request) -> Response:
    owner = _owner(request)
    moment = MomentQuery(request)
    replayer = await _replayer(request)
    found = await replayer.moment(await moment.seq_in(replayer), emails=owner)
    return JSONResponse(found.to_json())


async def chunk_route(request: Request) -> Response:
    owner = _owner(request)
    after = int(_number(request, "after", 0) or 0)
    limit = int(_number(request, "limit", 200) or 200)
    replayer = await _replayer(request)
    chunk = await replayer.chunk(after, max(1, min(limit, MAX_CHUNK)), emails=owner)
    return JSONResponse(chunk)


async def blame_route(request: Request) -> Response:
    grant_of(request)
    cell = request.query_params.get("cell")
    if not cell:
        raise RequestError("?cell= must name a cell id")
    moment = MomentQuery(request)
    replayer = await _replayer(request)
    seq = await replayer.visible(await moment.seq_in(replayer))
    try:
        lines = await replayer.blame(seq, cell)
    except LookupError as exc:  # no such cell at that moment
        raise NotFoundError(str(exc)) from exc
    return JSONResponse({"cell": cell, "seq": seq, "lines": [line.to_json() for line in lines]})


async def export_route(request: Request) -> Response:
    owner = _owner(request)
    replayer = await _replayer(request)
    log = await replayer.store.load(replayer.room)

    async def lines() -> AsyncIterator[bytes]:
        claims = log.claims if log is not None else {}
        async for line in export_lines(replayer, claims, emails=owner):
            yield (line + "\n").encode("utf-8")

    name = replayer.room.rsplit("/", 1)[-1].removesuffix(".ipynb") + ".replay.jsonl"
    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers=attachment(name),
    )


async def restore_route(request: Request) -> Response:
    """Restore the notebook (or one cell) as it was at a moment: an edit by the caller."""
    grant = grant_of(request)
    require(grant, Role.OWNER, Role.EDITOR)
    body = await json_body(request)
    replayer = await _replayer(request)
    entry = await context_of(request).rooms.open(RoomId(replayer.room))
    recording = entry.service(RecordingService)
    mob = entry.find(MobService)
    user_id = grant.user.id if grant.user is not None else "guest"
    refusal = mob.refusal_for(user_id) if mob is not None else None
    if refusal is not None:  # the same rule as the restore command in mob mode
        raise AuthError(refusal)
    try:
        result = await recording.restore(user_id, body.get("seq"), body.get("cell"))
    except (ValueError, LookupError) as exc:  # no seq, or no such cell at that moment
        raise RequestError(str(exc)) from exc
    return JSONResponse(result)
