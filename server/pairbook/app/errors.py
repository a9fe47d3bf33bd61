"""Errors once: one table from pairbook's errors to websocket close codes and HTTP statuses,
the exception handlers `create_app` registers, and the answer to an unexpected exception.

Routes raise; they do not catch. A PairbookError becomes `{"error": message}` with the
table's status; any other exception (a pycrdt panic too) is logged once, with its traceback,
and answered 500.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from pairbook.app.middleware import HTTPMiddleware
from pairbook.errors import (
    AuthError,
    BrokerError,
    ClusterError,
    ConflictError,
    HistoryError,
    KernelError,
    LimitError,
    NameTakenError,
    NotebookError,
    NotFoundError,
    PairbookError,
    ProfileError,
    ProtocolError,
    RequestError,
    RoomError,
    StoreError,
    TokenError,
    is_failure,
)
from pairbook.protocol.closecodes import CloseCode

log = logging.getLogger("pairbook.app")

_TABLE: tuple[tuple[type[PairbookError], CloseCode, int], ...] = (
    (LimitError, CloseCode.MESSAGE_TOO_BIG, 413),
    (ProtocolError, CloseCode.PROTOCOL_ERROR, 400),
    (RequestError, CloseCode.PROTOCOL_ERROR, 400),
    (TokenError, CloseCode.UNAUTHORIZED, 401),
    (NameTakenError, CloseCode.FORBIDDEN, 409),
    (ProfileError, CloseCode.FORBIDDEN, 400),
    (AuthError, CloseCode.FORBIDDEN, 403),
    (HistoryError, CloseCode.RELOAD, 409),
    (ConflictError, CloseCode.FORBIDDEN, 409),
    (NotFoundError, CloseCode.NOT_FOUND, 404),
    (NotebookError, CloseCode.NOT_FOUND, 404),
    (RoomError, CloseCode.NOT_FOUND, 404),
    (StoreError, CloseCode.INTERNAL_ERROR, 503),
    (BrokerError, CloseCode.INTERNAL_ERROR, 503),
    (KernelError, CloseCode.INTERNAL_ERROR, 503),
    (ClusterError, CloseCode.INTERNAL_ERROR, 503),
)


def close_code_for(error: PairbookError) -> CloseCode:
    for kind, code, _ in _TABLE:
        if isinstance(error, kind):
            return code
    return CloseCode.INTERNAL_ERROR


def http_status_for(error: PairbookError) -> int:
    for kind, _, status in _TABLE:
        if isinstance(error, kind):
            return status
    return 500


def reason_for(error: PairbookError, root: Path | None = None) -> str:
    """What a peer is told of `error`: its message, with the served folder's place on the
    server's disk left out (`root`: paths under it read as the notebook list names them)."""
    message = str(error)
    if isinstance(error, HistoryError):
        message = f"reload: your copy of this notebook is from an older session ({error})"
    return message if root is None else without_root(message, root)


def without_root(message: str, root: Path) -> str:
    """`message` with `root` (as given and resolved) cut from the paths it names."""
    for folder in dict.fromkeys((str(root), os.path.realpath(root))):
        message = message.replace(folder + os.sep, "").replace(folder, "the served folder")
    return message


async def pairbook_error(request: Request, exc: Exception) -> Response:
    """A PairbookError a route raised, as `{"error": message}` with the table's status."""
    assert isinstance(exc, PairbookError)
    context = getattr(request.app.state, "pairbook", None)
    message = str(exc) if context is None else without_root(str(exc), context.rooms.root)
    return JSONResponse({"error": message}, status_code=http_status_for(exc))


EXCEPTION_HANDLERS: Mapping[Any, Any] = {PairbookError: pairbook_error}
"""For `Starlette(exception_handlers=...)`."""

UNEXPECTED = "internal error: the server's log has the details; please report it"


class UnexpectedErrors(HTTPMiddleware):
    """Middleware: an exception nobody expected is logged once and answered 500 JSON.

    Starlette's own handler for 500 re-raises after answering, so the ASGI server would log
    it a second time. Once the response has started nothing can be answered: the exception
    goes on to the server, which reports it (once).
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException as exc:  # a pycrdt panic too (is_failure)
            if started or not is_failure(exc):
                raise
            log.error(
                "unexpected error answering %s %s", scope["method"], scope["path"], exc_info=exc
            )
            await JSONResponse({"error": UNEXPECTED}, status_code=500)(scope, receive, send)
