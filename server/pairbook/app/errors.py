"""One table from pairbook's errors to websocket close codes and HTTP statuses."""

from __future__ import annotations

from pairbook.errors import (
    AuthError,
    HistoryError,
    KernelError,
    LimitError,
    NameTakenError,
    NotebookError,
    PairbookError,
    ProfileError,
    ProtocolError,
    RoomError,
    StoreError,
    TokenError,
)
from pairbook.rooms import CloseCode

_TABLE: tuple[tuple[type[PairbookError], CloseCode, int], ...] = (
    (LimitError, CloseCode.MESSAGE_TOO_BIG, 413),
    (ProtocolError, CloseCode.PROTOCOL_ERROR, 400),
    (TokenError, CloseCode.UNAUTHORIZED, 401),
    (NameTakenError, CloseCode.FORBIDDEN, 409),
    (ProfileError, CloseCode.FORBIDDEN, 400),
    (AuthError, CloseCode.FORBIDDEN, 403),
    (HistoryError, CloseCode.RELOAD, 409),
    (NotebookError, CloseCode.NOT_FOUND, 404),
    (RoomError, CloseCode.NOT_FOUND, 404),
    (StoreError, CloseCode.INTERNAL_ERROR, 503),
    (KernelError, CloseCode.INTERNAL_ERROR, 503),
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


def reason_for(error: PairbookError) -> str:
    if isinstance(error, HistoryError):
        return f"reload: your copy of this notebook is from an older session ({error})"
    return str(error)
