"""The shared document's schema: its top-level names and the records the server writes.

A room's document (a pycrdt `Doc`) holds the notebook as jupyter_ydoc lays it out
(`cells`, `meta`) and, beside it, maps that only the server writes (`PROTECTED_ROOTS`).
Their values are JSON; the `TypedDict`s below name each record's shape once, for the
writers here and for `client/src`, which reads the same keys.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# -- top-level names -----------------------------------------------------------------

CELLS = "cells"
"""The notebook's cells: an `Array` of cell `Map`s (jupyter_ydoc's layout)."""

META = "meta"
"""The notebook's metadata and format numbers: a `Map` (jupyter_ydoc's layout)."""

PAIRBOOK_MAP = "pairbook"
"""The server's marker map: the room's `history` id (written once, at creation)."""

KERNEL_MAP = "kernel"
"""The kernel: `KernelRecord` keys, plus `variables` (a `Map`), `analysis`, `packages`, and
`environment` (`KernelEnvironmentRecord`) for a notebook that declares its own."""

EXECUTIONS_MAP = "executions"
"""One `ExecutionRecord` per run, keyed by run id."""

MOB_MAP = "mob"
"""The mob rotation: `MobRecord` keys, plus `chat` (an `Array` of `ChatRecord`s)."""

RECORDING_MAP = "recording"
"""Whether the room is recorded: `RecordingRecord` keys."""

WIDGETS_MAP = "widgets"
"""The kernel's live widget models (ipywidgets), keyed by model id: `WidgetRecord` keys,
with `state` a `Map` of the model's JSON state and `buffers` a `Map` of its binary values
(bytes, keyed by the JSON of their path in the state)."""

CHECK_MAP = "check"
"""The last `pairbook check` run from the room: `CheckRecord` keys."""

PROTECTED_ROOTS: frozenset[str] = frozenset(
    {PAIRBOOK_MAP, KERNEL_MAP, EXECUTIONS_MAP, MOB_MAP, RECORDING_MAP, WIDGETS_MAP, CHECK_MAP}
)
"""Top-level maps of the shared document that only the server writes."""

DOCUMENT_MAPS: dict[str, str] = {
    "CELLS": CELLS,
    "META": META,
    "PAIRBOOK_MAP": PAIRBOOK_MAP,
    "KERNEL_MAP": KERNEL_MAP,
    "EXECUTIONS_MAP": EXECUTIONS_MAP,
    "MOB_MAP": MOB_MAP,
    "RECORDING_MAP": RECORDING_MAP,
    "WIDGETS_MAP": WIDGETS_MAP,
    "CHECK_MAP": CHECK_MAP,
}
"""Every top-level name by its constant's name, as spec/protocol.json lists them for the client."""

HISTORY_KEY = "history"
"""The key of the room's history id in `PAIRBOOK_MAP`."""

CHAT_KEY = "chat"
"""The key of the chat `Array` in `MOB_MAP`."""

# -- authors -------------------------------------------------------------------------

SERVER_AUTHOR_PREFIX = "pairbook:"
"""Every author id the server writes under starts so (see `pairbook.types.SERVER_USER`)."""


def is_server_author(user_id: str | None) -> bool:
    """Whether a change's author is the server itself (a load, a service, the disk)."""
    return user_id is not None and user_id.startswith(SERVER_AUTHOR_PREFIX)


SERVER_COLOR = "#8a93a6"
"""The color pages show the server's own changes in (a load, the disk, a service)."""


# -- records -------------------------------------------------------------------------


class UserRecord(TypedDict):
    """A person as every page shows them: presence, whoami, runs, chat, the mob, replay."""

    id: str
    name: str
    color: str


class PersonRecord(UserRecord):
    """A user with their email (`User.to_json()`): the owner's session summary, whose emails
    credit a session's commit, one's own whoami, the token file and the owner's list of
    people. Never in the document (every peer, viewers too, reads it)."""

    email: NotRequired[str]


class ExecutionRecord(TypedDict):
    """One run of one cell in `EXECUTIONS_MAP` (and `queue`/`current` in `KERNEL_MAP`)."""

    id: str
    cell_id: str
    user: UserRecord
    status: str
    queued_at: float
    started_at: float | None
    finished_at: float | None
    execution_count: int | None
    source_hash: str | None
    error: str | None
    batch: NotRequired[str]  # the id of the batch's first run, when one request queued several
    stopped_by: NotRequired[str]  # the run whose failure cancelled this one (its batch stopped)
    cancelled_by: NotRequired[str]
    prompt: NotRequired[str]


class KernelEventRecord(TypedDict):
    """The last thing someone did to the kernel (start, restart, interrupt, ...)."""

    kind: str
    by: UserRecord
    at: float


class StoppedBatchRecord(TypedDict):
    """The last batch (run all, above, below, several cells) that stopped at a failing run:
    whose batch, which run failed and how, what it cancelled and what still waits."""

    batch: str
    by: UserRecord  # whose batch it was
    execution: str  # the run that failed
    cell_id: str
    status: str  # error or interrupted
    ename: str | None
    cancelled: list[str]  # the batch's runs that never ran
    still_queued: int  # runs of other requests left in the queue: they still run
    at: float


class KernelStopRecord(TypedDict):
    """Why and when the room's kernel stopped: `reason` is `shutdown` (a person, `by`), `idle`
    (the idle cull, after `idle_for` seconds), `died` (it crashed or was killed), `server`
    (the server stopped or restarted) or `moved` (the process running it stopped and another
    took the room over: its state is gone); `at` is None when nobody saw it happen."""

    reason: str
    by: UserRecord | None
    at: float | None
    idle_for: float | None


class KernelRecord(TypedDict, total=False):
    """The JSON keys of `KERNEL_MAP` that describe the kernel and its queue. `status` is
    `stopped` (with `stopped` saying why) once a kernel that ran has gone; `started_at` is
    when the current kernel started (runs that finished before it are from a kernel that
    is gone); `cull_at`, when set, is when the idle cull will stop the kernel."""

    name: str
    display_name: str
    status: str
    last_event: KernelEventRecord | None
    stopped: KernelStopRecord | None
    started_at: float | None
    cull_at: float | None
    queue: list[ExecutionRecord]
    current: ExecutionRecord | None
    stopped_batch: StoppedBatchRecord | None
    analysis: dict[str, Any]
    packages: list[dict[str, Any]]


class ChatRecord(TypedDict):
    """One message of the mob's chat."""

    id: str
    user: UserRecord
    text: str
    at: float
    role: NotRequired[str]  # the sender's role: a viewer's message is labelled


MobRecord = TypedDict(
    "MobRecord",
    {
        "mode": Literal["pair", "mob"],
        "state": str,
        "driver": str | None,
        "queue": list[str],
        "observers": list[str],
        "people": dict[str, UserRecord],  # no emails: every peer reads the map
        "drivers_allowed": list[str],
        "roles": dict[str, str],
        "turn": dict[str, float | None],
        "grace_ends": float | None,
        "take_request": dict[str, Any] | None,
        "settings": dict[str, Any],
        "turns": list[Any],
        "break": dict[str, float | None],
        "session": dict[str, float],
        "changed": dict[str, list[str]],
    },
    total=False,
)
"""The JSON keys of `MOB_MAP` (as `Rotation.to_json()` and the mob service write them)."""


class RecordingRecord(TypedDict, total=False):
    """The keys of `RECORDING_MAP`: on or off, who switched it and when."""

    on: bool
    by: str
    at: float


class WidgetRecord(TypedDict, total=False):
    """One widget model in `WIDGETS_MAP` (besides its `state` and `buffers` maps): who
    changed it last and when (`by` is None for the kernel's own changes), and whether the
    kernel that made it is gone (restarted or stopped: the model is shown disconnected)."""

    by: UserRecord | None
    at: float
    gone: bool


class KernelEnvironmentRecord(TypedDict, total=False):
    """The `environment` key of `KERNEL_MAP`: the notebook's own environment, which the kernel
    starts from. `status` is `preparing` (uv's latest line in `progress`), `ready` (`key`, the
    environment's hash; `built`: this start built it) or `failed` (`error`, uv's words)."""

    status: str
    source: str
    requirements: list[str]
    progress: str
    error: str
    key: str
    built: bool
    at: float


class CheckRecord(TypedDict, total=False):
    """The keys of `CHECK_MAP`: the room's last check. `status` is `running` (with `progress`,
    its latest line), `done` (with `verdict` passed/failed/error, `summary` and `report`,
    `NotebookReport.to_json()`) or `stopped` (the server stopped during it)."""

    status: str
    by: UserRecord
    started_at: float
    finished_at: float | None
    progress: str
    verdict: str
    summary: str
    report: dict[str, Any]


__all__ = [
    "CELLS",
    "CHAT_KEY",
    "CHECK_MAP",
    "DOCUMENT_MAPS",
    "EXECUTIONS_MAP",
    "HISTORY_KEY",
    "KERNEL_MAP",
    "META",
    "MOB_MAP",
    "PAIRBOOK_MAP",
    "PROTECTED_ROOTS",
    "RECORDING_MAP",
    "SERVER_AUTHOR_PREFIX",
    "SERVER_COLOR",
    "WIDGETS_MAP",
    "ChatRecord",
    "CheckRecord",
    "ExecutionRecord",
    "KernelEnvironmentRecord",
    "KernelEventRecord",
    "KernelRecord",
    "KernelStopRecord",
    "MobRecord",
    "PersonRecord",
    "RecordingRecord",
    "StoppedBatchRecord",
    "UserRecord",
    "WidgetRecord",
    "is_server_author",
]
