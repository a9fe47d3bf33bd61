"""The one error tree of pairbook.

```
PairbookError
├── ProtocolError        a peer sent bytes that are not valid y-websocket / Yjs
├── AuthError            a token is unknown, or its role may not do what was asked
│   ├── TokenError       no token, or one that is unknown, expired, used up or revoked
│   ├── NameTakenError   the display name someone picked is another person's
│   └── ProfileError     a display name or email that cannot be used
├── HistoryError         a peer's document belongs to a history this server no longer has
├── RoomError            a room cannot be opened or used (unknown notebook, bad path)
├── NotebookError        an .ipynb file cannot be read, validated or written
├── KernelError          the kernel cannot start, run or be reached
├── EnvError             a notebook's environment cannot be read or built (uv failed)
├── StoreError           the durable log cannot be read or written
│   └── FencedError      a room's former owner wrote after another process took the room
├── BrokerError          the broker (Redis) that carries rooms between processes is unreachable
├── ClusterError         Redis or a room's owning process cannot be reached (scale-out)
└── LimitError           something is larger than the server's limits (frame, update, notebook)
    └── NotebookSizeError    a notebook file too large to open (also a NotebookError)
```

Foreign exceptions are translated to these at the edge; `pairbook.app` maps them to
websocket close codes and HTTP statuses in one table. Every message says what to do next.
"""

from __future__ import annotations


class PairbookError(Exception):
    """Base of every error pairbook raises on purpose."""


class ProtocolError(PairbookError):
    """A frame or update is malformed, truncated or not allowed by the protocol."""


class AuthError(PairbookError):
    """A token is unknown, or its role may not do what was asked."""


class TokenError(AuthError):
    """No token, or one that is unknown, expired, used up or revoked: who asks is unknown."""


class NameTakenError(AuthError):
    """A person picked a display name another person already has."""


class ProfileError(AuthError):
    """A display name or email that cannot be used (empty, too long, not a plain address)."""


class HistoryError(PairbookError):
    """A peer's document state belongs to a history the server no longer has: reload."""


class RoomError(PairbookError):
    """A room cannot be opened or used."""


class NotebookError(PairbookError):
    """An .ipynb file cannot be read, validated or written."""


class KernelError(PairbookError):
    """The kernel cannot start, run or be reached."""


class EnvError(PairbookError):
    """A notebook's declared environment cannot be read, or uv cannot build it."""


class StoreError(PairbookError):
    """The durable log cannot be read or written."""


class FencedError(StoreError):
    """A write fenced by an owner's lease token, refused: a later owner took the room over."""


class BrokerError(PairbookError):
    """The broker that carries rooms between processes cannot be reached or used."""


class ClusterError(PairbookError):
    """Redis, or the process that owns a room, cannot be reached or did not answer."""


class LimitError(PairbookError):
    """Something a peer sent or asked to open is larger than the server's limits allow."""


class NotebookSizeError(NotebookError, LimitError):
    """A notebook file is larger than the server opens."""


class RequestError(PairbookError):
    """An HTTP request is malformed (body, query, arguments): the message says what to send."""


class ConflictError(PairbookError):
    """A request is at odds with the current state (the notebook exists, no conflict, …)."""


class NotFoundError(PairbookError):
    """What a request names does not exist (an id, a cell)."""


def is_failure(exc: BaseException) -> bool:
    """Whether `exc` is a failure to log and answer (1011, 500): any Exception, or a Rust
    panic from pycrdt (pyo3's PanicException derives from BaseException, so `except
    Exception` misses it); never a cancellation, KeyboardInterrupt or SystemExit, which go on.
    Use as `except BaseException as exc: if not is_failure(exc): raise`."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"
