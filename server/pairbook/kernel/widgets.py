"""Widgets: the room's ipywidgets, one state for everyone.

pairbook is the kernel's only widget frontend (the Jupyter widget comm protocol, version 2,
target `jupyter.widget`): the kernel's `comm_open` / `update` / `echo_update` / `comm_close`
messages become edits of the document's `widgets` map, and the Output widget's captured
outputs its `outputs` state, as Jupyter's own widget manager keeps them. People's changes
(the `widget` command) go to the kernel as the `update` or `custom` comm message the widget
expects, one at a time between runs, and coalesced per model while the kernel is busy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc

from pairbook.errors import KernelError
from pairbook.flag import Flag
from pairbook.kernel.ports import Kernel, RunnerRoom
from pairbook.kernel.session import KernelStatus
from pairbook.kernel.widgetdoc import (
    MAX_VALUE_BYTES,
    Buffers,
    capture_output,
    close_model,
    drop_oversized,
    is_live,
    live_models,
    mark_gone,
    open_model,
    output_models,
    prune_gone,
    split_buffers,
    update_model,
)
from pairbook.schema import UserRecord
from pairbook.service import Member
from pairbook.types import SERVER_USER, UserId

log = logging.getLogger("pairbook.widgets")

TARGET = "jupyter.widget"
CAPTURED = frozenset({"stream", "display_data", "execute_result", "error", "clear_output"})
GONE = frozenset({"restarting", "dead", "not started"})
MAX_CHANGE_BYTES = 1_000_000  # one change's JSON; a widget's value is small
MAX_WAITING = 1_000  # changes of one model waiting for a busy kernel (clicks pile up)
# What people may ask of a room's widgets before the kernel takes it (it takes changes
# between runs only): a page sends a model's next change once the last was taken, so these
# bound a flood (400 commands a second for a long run), not anyone's dragging or clicking.
MAX_PENDING_BYTES = 4_000_000
MAX_PENDING_CHANGES = 1_000  # of every model together

Edit = Callable[[Doc[Any]], None]


@dataclass(slots=True)
class Change:
    """What people asked of one model since the kernel last took its changes: the state
    keys merged (the latest value of each), the custom messages in order, and who asked
    (with the echo id each asker's page chose), to be told once the kernel took it."""

    state: dict[str, Any] = field(default_factory=dict)
    custom: list[dict[str, Any]] = field(default_factory=list)
    askers: list[tuple[Member, str | None]] = field(default_factory=list)
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def by(self) -> Member:
        return self.askers[-1][0]


ECHO_EVENT = "widget-echo"
"""The event telling an asker the kernel took its change (`ok`), or why not (`error`)."""


class Widgets:
    """One room's widget models. `observe` is the kernel session's observer (every IOPub
    message, as it arrives); `change` is the `widget` command; `run()` (owned by the
    runner's task group) writes the map and relays changes to the kernel."""

    def __init__(
        self,
        room: RunnerRoom,
        kernel: Callable[[], Kernel],
        lock: asyncio.Lock,
        clock: Callable[[], float] = time.time,
        on_asked: Callable[[], None] = lambda: None,
    ) -> None:
        self._room, self._kernel, self._lock, self._clock = room, kernel, lock, clock
        self._on_asked = on_asked  # people are using the kernel: idle work can wait
        self._outputs: dict[str, str] = {}  # Output model id -> the msg_id it captures
        self._clear_wait: set[str] = set()  # Output models with a clear_output(wait) pending
        self._known: set[str] = set()  # models opened by the running kernel
        self._edits: list[tuple[UserRecord | None, Edit]] = []
        self._written = Flag()
        self._writing: set[asyncio.Future[int | None]] = set()  # applied, not yet relayed
        self._changes: dict[str, Change] = {}
        self._pending_bytes = 0  # the JSON of every change in `_changes`
        self._pending_count = 0
        self._asked = Flag()
        self._sending: UserRecord | None = None  # whose change the kernel is handling
        self.sent = 0  # comm messages sent to the kernel
        self._take_back()

    def _take_back(self) -> bool:
        """A kept kernel (the room loaded again): its models in the map are still live."""
        if not self._kernel().started:
            return False
        self._known = live_models(self._room.doc)
        self._outputs = output_models(self._room.doc, self._known)
        return True

    # -- the kernel's side ---------------------------------------------------------------

    def observe(self, message: dict[str, Any]) -> bool:
        """One IOPub message; True when it was a widget's (it goes to no cell). A message
        the kernel malformed is logged and left to the run, never fails it."""
        try:
            return self._observe(message)
        except Exception:
            log.exception("a widget message could not be read", extra={"room": self._room.id})
            return False

    def _observe(self, message: dict[str, Any]) -> bool:
        kind, content = message["header"]["msg_type"], message.get("content") or {}
        if kind == "comm_open":
            return self._open(content, message.get("buffers") or [])
        comm_id = str(content.get("comm_id", ""))
        if kind == "comm_msg" and comm_id in self._known:
            self._message(comm_id, content.get("data") or {}, message.get("buffers") or [])
            return True
        if kind == "comm_close" and comm_id in self._known:
            self._known.discard(comm_id)
            self._outputs.pop(comm_id, None)
            self._edit(None, lambda doc: close_model(doc, comm_id))
            return True
        parent = str(message["parent_header"].get("msg_id") or "")
        if kind in CAPTURED and parent:
            capturing = [key for key, msg_id in self._outputs.items() if msg_id == parent]
            if capturing:
                self._capture(capturing[-1], kind, content)
                return True
        return False

    def _open(self, content: dict[str, Any], buffers: list[bytes]) -> bool:
        if content.get("target_name") != TARGET:
            return False
        comm_id, data = str(content["comm_id"]), content.get("data") or {}
        state, binary = split_buffers(dict(data.get("state") or {}),
                                      list(data.get("buffer_paths") or []), buffers)  # fmt: skip
        self._known.add(comm_id)
        self._drop_oversized(comm_id, state, binary)
        if state.get("_model_name") == "OutputModel":
            self._outputs[comm_id] = str(state.get("msg_id") or "")
        now = self._clock()
        self._edit(None, lambda doc: open_model(doc, comm_id, state, binary, now))
        # In the document now, before the output that shows it: a page that gets the view
        # before its model would take it for a widget the kernel closed.
        for commit in self._write_now():
            commit.add_done_callback(self._log_failure)
        return True

    def _log_failure(self, commit: asyncio.Future[int | None]) -> None:
        if not commit.cancelled() and (error := commit.exception()) is not None:
            log.error("widget map write failed", exc_info=error, extra={"room": self._room.id})

    def _message(self, comm_id: str, data: dict[str, Any], buffers: list[bytes]) -> None:
        if data.get("method") not in ("update", "echo_update"):
            return  # custom messages to the frontend: no control pairbook shows needs them
        state, binary = split_buffers(dict(data.get("state") or {}),
                                      list(data.get("buffer_paths") or []), buffers)  # fmt: skip
        self._drop_oversized(comm_id, state, binary)
        if comm_id in self._outputs and "msg_id" in state:
            self._outputs[comm_id] = str(state["msg_id"] or "")
        by, now = self._sending, self._clock()

        def edit(doc: Doc[Any]) -> None:
            update_model(doc, comm_id, state, binary, by, now)

        self._edit(by, edit)

    def _drop_oversized(self, comm_id: str, state: dict[str, Any], binary: Buffers) -> None:
        dropped = drop_oversized(state, binary, MAX_VALUE_BYTES)
        if dropped:
            log.warning("widget values too large to share", extra={
                "room": self._room.id, "model": comm_id, "keys": dropped,
                "limit": MAX_VALUE_BYTES})  # fmt: skip

    def _capture(self, comm_id: str, kind: str, content: dict[str, Any]) -> None:
        def edit(doc: Doc[Any]) -> None:
            pending = comm_id in self._clear_wait
            if capture_output(doc, comm_id, kind, content, pending):
                self._clear_wait.add(comm_id)
            else:
                self._clear_wait.discard(comm_id)

        self._edit(self._sending, edit)

    def on_status(self, status: KernelStatus) -> None:
        """The kernel's status: once it restarts or stops, its models are gone."""
        if status in GONE and self._known:
            self.forget()

    def forget(self) -> None:
        """Every model in the map is from a kernel that is gone."""
        self._known.clear()
        self._outputs.clear()
        self._clear_wait.clear()
        self._edit(None, forget_kernel)

    @property
    def busy(self) -> bool:
        """Whether the kernel is handling a person's change (its callback may run long)."""
        return self._sending is not None

    # -- the document --------------------------------------------------------------------

    def _edit(self, by: UserRecord | None, edit: Edit) -> None:
        self._edits.append((by, edit))
        self._written.set()

    async def flush(self) -> None:
        """Write every edit the kernel's messages made so far, and wait until it is logged
        and relayed: those written before too, by whichever task wrote them. (The write
        loop writes an echo while the kernel still runs the widget's callback; telling the
        asker before that write reached its page showed it the old value.)"""
        self._write_now()
        if not self._writing:
            return
        # Not gather: a waiter cancelled (the runner closing) must not cancel the writes
        # another task waits for.
        written, _ = await asyncio.wait(list(self._writing))
        for commit in written:
            if not commit.cancelled() and (error := commit.exception()) is not None:
                raise error

    def _write_now(self) -> list[asyncio.Future[int | None]]:
        """Apply every edit the kernel's messages made so far, in order with every other
        server edit (a cell's outputs among them); logging and relaying go on after."""
        edits, self._edits = self._edits, []
        commits = []
        for by, group in _by_author(edits):
            author = UserId(by["id"]) if by is not None else SERVER_USER
            commit = self._room.start_server_edit(_all(group), author, protected=True)
            self._writing.add(commit)
            commit.add_done_callback(self._writing.discard)
            commits.append(commit)
        return commits

    async def _write_loop(self) -> None:
        while True:
            await self._written.wait()
            self._written.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("widget map write failed", extra={"room": self._room.id})

    # -- people's side -------------------------------------------------------------------

    def change(
        self,
        member: Member,
        model_id: str,
        state: dict[str, Any] | None,
        custom: dict[str, Any] | None,
        echo: str | None = None,
    ) -> Change:
        """A person's change of a live model: its new state keys, or a custom message (a
        button's click). Queued at once (the asker's connection never waits for the
        kernel); once the kernel took it, and its echo is in the map, the asker gets the
        ECHO_EVENT naming `echo`, and the returned change is done."""
        if model_id not in self._known or not is_live(self._room.doc, model_id):
            raise ValueError(f"no live widget {model_id!r}: its kernel is gone or it was closed")
        if state is None and custom is None:
            raise ValueError("widget needs 'state' (the keys that changed) or 'custom'")
        if any(key.startswith("_") for key in state or {}):
            raise ValueError("a widget's state keys starting with _ are the kernel's to set")
        size = len(json.dumps([state, custom], default=str))
        if size > MAX_CHANGE_BYTES:
            raise ValueError(f"a widget change may hold at most {MAX_CHANGE_BYTES:,} bytes")
        waiting = self._changes.get(model_id)
        if waiting is not None and len(waiting.askers) >= MAX_WAITING:
            raise ValueError(f"{MAX_WAITING} changes of this widget already wait for the "
                             "kernel (it is busy): try again once it is idle")  # fmt: skip
        if (
            self._pending_count >= MAX_PENDING_CHANGES
            or self._pending_bytes + size > MAX_PENDING_BYTES
        ):
            raise ValueError(
                f"the kernel has not yet taken the {self._pending_count:,} widget changes "
                f"asked before ({self._pending_bytes:,} bytes; it takes them between runs): "
                "try again once it has"
            )
        self._pending_bytes += size
        self._pending_count += 1
        pending = self._changes.setdefault(model_id, Change())
        pending.state.update(state or {})
        if custom is not None:
            pending.custom.append(custom)
        pending.askers.append((member, echo))
        self._asked.set()
        self._on_asked()
        return pending

    async def _relay_loop(self) -> None:
        """Changes to the kernel, between runs; those asked meanwhile wait and merge."""
        while True:
            await self._asked.wait()
            self._asked.clear()
            async with self._lock:
                changes, self._changes = self._changes, {}
                self._pending_bytes = self._pending_count = 0
                for model_id, pending in changes.items():
                    await self._settle(model_id, pending)

    async def _settle(self, model_id: str, pending: Change) -> None:
        """Send one model's change; tell its askers how it went (an unexpected error is
        logged too, and the relay goes on)."""
        try:
            await self._send(model_id, pending)
        except Exception as exc:
            if not isinstance(exc, KernelError):
                log.exception("widget change failed", extra={"room": self._room.id})
            self._tell(model_id, pending, {"ok": False, "error": str(exc)})
            pending.done.set_exception(exc)
            pending.done.exception()  # retrieved: nobody need wait for it
        else:
            self._tell(model_id, pending, {"ok": True})
            pending.done.set_result(None)

    def _tell(self, model_id: str, pending: Change, outcome: dict[str, Any]) -> None:
        for member, echo in pending.askers:
            event = {"event": ECHO_EVENT, "model": model_id, "echo": echo, **outcome}
            self._room.notify_member(member, event)

    async def _send(self, model_id: str, pending: Change) -> None:
        kernel = self._kernel()
        if not kernel.started or model_id not in self._known:
            raise KernelError(f"widget {model_id!r} is from a kernel that is gone")
        # Noted before the kernel's echo is written: the timeline's moment shows the state
        # it changed, the next moments the change.
        note = {"model": model_id, "keys": sorted(pending.state), "custom": len(pending.custom),
                "asked": len(pending.askers)}  # fmt: skip
        self._room.note("widget", pending.by.user.id, note)
        self._sending = pending.by.user.to_record()
        try:
            messages: list[dict[str, Any]] = []
            if pending.state:
                messages.append({"method": "update", "state": pending.state, "buffer_paths": []})
            messages += [{"method": "custom", "content": c} for c in pending.custom]
            for data in messages:
                self.sent += 1
                if not await kernel.comm(model_id, data):
                    raise KernelError("the kernel died while it handled the widget change")
            await self.flush()
        finally:
            self._sending = None

    async def run(self) -> None:
        """Write the map and relay changes, forever (owned by the runner's task group)."""
        if not self._take_back() and live_models(self._room.doc):
            self._edit(None, forget_kernel)  # the kernel that made them did not outlive the room
        async with asyncio.TaskGroup() as group:
            group.create_task(self._write_loop())
            group.create_task(self._relay_loop())


def forget_kernel(doc: Doc[Any]) -> None:
    """The kernel is gone: its models are shown disconnected, older ones nothing shows leave."""
    mark_gone(doc)
    prune_gone(doc)


def _by_author(
    edits: list[tuple[UserRecord | None, Edit]],
) -> list[tuple[UserRecord | None, list[Edit]]]:
    groups: list[tuple[UserRecord | None, list[Edit]]] = []
    for by, edit in edits:
        if groups and groups[-1][0] == by:
            groups[-1][1].append(edit)
        else:
            groups.append((by, [edit]))
    return groups


def _all(edits: list[Edit]) -> Edit:
    def edit(doc: Doc[Any]) -> None:
        for one in edits:
            one(doc)

    return edit
