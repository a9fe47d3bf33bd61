"""Downloads of a notebook from the page: its `.ipynb` as saved, or its `.py` export.

`GET /api/download/<path>?format=ipynb|py`: anyone who may read the notebook (viewer and
up). The content is the room's current document in the file's form (what autosave writes)
when the room is open in this process, or when another process keeps it open (read from
the log: that process's autosave may not have written the latest edits yet), else the file
on disk. Every download is logged
with who asked for it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import PurePosixPath
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from pairbook.app.context import context_of, grant_of
from pairbook.app.headers import attachment
from pairbook.errors import RequestError
from pairbook.notebook import read_notebook, resolve_notebook_path, ydoc_to_notebook
from pairbook.notebook.export import export_notebook
from pairbook.notebook.file import NotebookFile
from pairbook.rooms.loader import logged_elsewhere
from pairbook.types import RoomId

log = logging.getLogger("pairbook.app")

DownloadFormat = Literal["ipynb", "py"]
_MEDIA: dict[str, str] = {
    "ipynb": "application/x-ipynb+json",
    "py": "text/x-python; charset=utf-8",
}


def _format_of(request: Request) -> DownloadFormat:
    text = request.query_params.get("format", "ipynb")
    if text == "ipynb":
        return "ipynb"
    if text == "py":
        return "py"
    raise RequestError("?format= must be ipynb or py")


async def download_route(request: Request) -> Response:
    grant = grant_of(request)
    fmt = _format_of(request)
    context = context_of(request)
    room = context.rooms.key(str(request.path_params["path"]))
    raw, nb, source = await _notebook_now(request, room)
    data = raw if fmt == "ipynb" else await asyncio.to_thread(export_notebook, nb, "py")
    user = grant.user.id if grant.user is not None else grant.id
    log.info(
        "notebook downloaded",
        extra={"room": room, "format": fmt, "user": user, "role": grant.role.value, "from": source},
    )
    filename = PurePosixPath(room).with_suffix("." + fmt).name
    return Response(data, media_type=_MEDIA[fmt], headers=attachment(filename))


async def _notebook_now(request: Request, room: RoomId) -> tuple[bytes, dict[str, Any], str]:
    """The notebook's bytes as its file holds them (or would, once autosaved), the notebook
    they hold, and where they came from: the room open here, else the log when another
    process keeps the room open, else the file."""
    context = context_of(request)
    entry = context.rooms.get(room)
    if entry is not None:
        file = entry.filesync.file
        nb = ydoc_to_notebook(entry.room.doc)
        return file.bytes_of(nb), file.form.to_file(nb), "room"
    path = resolve_notebook_path(context.settings.root, room)
    rooms = context.rooms
    logged = await logged_elsewhere(room, context.store, rooms.broker)
    if logged is not None:  # open on another process: its file may lag its latest edits
        file = NotebookFile(path, form=rooms.policy.files.form)
        raw = await asyncio.to_thread(file.bytes_of, logged)
        return raw, file.form.to_file(logged), "log"
    limit = context.settings.max_notebook_bytes
    content = await asyncio.to_thread(read_notebook, path, max_bytes=limit)
    return content.raw, content.nb, "file"
