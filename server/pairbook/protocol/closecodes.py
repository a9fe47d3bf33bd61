"""Websocket close codes pairbook uses, and what each tells the client to do."""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    """Why a connection was closed. 4xxx codes are pairbook's own."""

    NORMAL = 1000
    GOING_AWAY = 1001  # server shutting down: reconnect shortly
    PROTOCOL_ERROR = 1002  # malformed or truncated frame
    UNSUPPORTED_DATA = 1003  # a text frame where binary was expected
    POLICY_VIOLATION = 1008  # sent faster than the rate limit
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011  # the server could not persist or apply: reconnect
    UNAUTHORIZED = 4401  # no or unknown token
    FORBIDDEN = 4403  # tried to write what the role or ownership forbids
    NOT_FOUND = 4404  # no such notebook
    SYNC_TIMEOUT = 4408  # did not complete the sync handshake in time
    RELOAD = 4409  # the client's document is from another history: reload the page
    SLOW_CONSUMER = 4413  # could not keep up with the room: reconnect to resync
