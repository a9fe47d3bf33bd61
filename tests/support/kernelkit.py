"""Doubles for the runner's component tests: a room over a real pycrdt Doc, peers, and a
scripted kernel whose every run is a small async function of the test's."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycrdt import Doc

from pairbook.auth import Role, User
from pairbook.kernel import KernelSessions
from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.probe import PROBE_KEY
from pairbook.kernel.runner import Runner
from pairbook.kernel.running import InputCallback, OutputCallback
from pairbook.kernel.session import KernelStatus, Observer, StatusCallback
from pairbook.notebook.ynotebook import notebook_to_ydoc
from pairbook.rooms.cellwatch import CellsWatch
from pairbook.rooms.commits import capture_edit
from pairbook.service import CellsObserver, Member
from pairbook.types import RoomId, UserId

Edit = Callable[[Doc[Any]], None]

FINAL = ("ok", "error", "interrupted", "cancelled", "dead")
"""The statuses a run ends in."""


@contextlib.asynccontextmanager
async def running(work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `work` (a worker's forever loop) in a task for the block, then cancel it."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def real_runner(tmp_path: Path, room: DocRoom) -> AsyncIterator[Runner]:
    """A runner on a real ipykernel (python3, no kernel-state probe) over `room`, running for
    the block, then closed."""
    runner = Runner(room, KernelSessions(tmp_path), "python3", kernel_state=False)
    try:
        async with running(runner.run()):
            yield runner
    finally:
        await runner.close()


def notebook_doc(sources: list[str], *, markdown: str | None = "# Title") -> Doc[Any]:
    """A notebook document: a markdown cell `intro` (unless None), then code cells
    `code-0`, `code-1`, ... with these sources."""
    cells: list[dict[str, Any]] = []
    if markdown is not None:
        cells.append({"id": "intro", "cell_type": "markdown", "source": markdown,
                      "metadata": {}})  # fmt: skip
    for index, source in enumerate(sources):
        cells.append({"id": f"code-{index}", "cell_type": "code", "source": source,
                      "metadata": {}, "outputs": [], "execution_count": None})  # fmt: skip
    doc: Doc[Any] = Doc()
    notebook_to_ydoc({"cells": cells, "metadata": {}}, doc)
    return doc


def person(name: str, role: Role = Role.EDITOR, key: str | None = None) -> Member:
    """A connected member: its key, the user `name` (titled), its role."""
    return Member(key or f"{name}-1", User(UserId(name), name.title(), "#336699"), role)


class DocRoom:
    """A room handle over a real Doc: server edits apply at once and are counted; events
    sent to members are kept in `events` as (member key, event)."""

    def __init__(self, doc: Doc[Any], members: list[Member] | None = None) -> None:
        self.id = RoomId("demo.ipynb")
        self.doc = doc
        self.author: UserId | None = None
        self._members: list[Member] = list(members or [])
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.notes: list[tuple[str, str, dict[str, Any]]] = []  # the timeline's (kind, user, data)
        self.edits = 0
        self.changed = asyncio.Event()  # set by every server edit and event
        self._cells = CellsWatch(doc, self.id)  # as a room shares it among its services

    async def until(self, check: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait until `check()` holds, looking again after every server edit or event."""
        async with asyncio.timeout(timeout):
            while not check():
                self.changed.clear()
                await self.changed.wait()

    def edit_as(self, author: str, edit: Edit) -> None:
        """An edit made by a person (observers see `author` while it applies)."""
        self.author = UserId(author)
        try:
            with self.doc.transaction():
                edit(self.doc)
        finally:
            self.author = None

    async def apply_server_edit(
        self, edit: Edit, author: UserId, *, protected: bool = False
    ) -> int:
        return self._server_edit(edit, author)

    def _server_edit(self, edit: Edit, author: UserId) -> int:
        """Apply it as the room does: one transaction, counted when it changed something
        (the room logs and relays only those)."""
        self.author = author
        try:
            update, error = capture_edit(self.doc, edit)
        finally:
            self.author = None
        if update is not None:
            self.edits += 1
        self.changed.set()
        if error is not None:
            raise error
        return self.edits

    def start_server_edit(
        self, edit: Edit, author: UserId, *, protected: bool = False
    ) -> asyncio.Future[int | None]:
        edits = self._server_edit(edit, author)
        done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        done.set_result(edits)
        return done

    def members(self) -> list[Member]:
        return list(self._members)

    def observe_cells(self, observer: CellsObserver) -> Callable[[], None]:
        return self._cells.observe(observer)

    def notify_member(self, member: Member, event: dict[str, Any]) -> None:
        self.events.append((member.key, event))
        self.changed.set()

    def note(self, kind: str, user: UserId, data: dict[str, Any]) -> None:
        self.notes.append((kind, user, data))
        self.changed.set()


@dataclass(slots=True)
class Turn:
    """One run on the scripted kernel, as its script sees it."""

    kernel: ScriptedKernel
    code: str
    on_output: OutputCallback
    on_input: InputCallback
    count: int

    def print(self, text: str, name: str = "stdout") -> None:
        self.on_output("stream", {"name": name, "text": text})

    def output(self, kind: str, content: dict[str, Any]) -> None:
        self.on_output(kind, content)

    async def ask(self, prompt: str, password: bool = False) -> str:
        return await self.on_input(prompt, password)

    async def until_interrupted(self) -> ExecutionOutcome:
        await self.kernel.interrupted.wait()
        return ExecutionOutcome("error", self.count, "KeyboardInterrupt")

    def ok(self) -> ExecutionOutcome:
        return ExecutionOutcome("ok", self.count)

    def error(self, ename: str = "ValueError") -> ExecutionOutcome:
        return ExecutionOutcome("error", self.count, ename)


Script = Callable[[Turn], Awaitable[ExecutionOutcome]]


async def quiet(turn: Turn) -> ExecutionOutcome:
    return turn.ok()


def probe_reply(value: Any) -> dict[str, Any]:
    """user_expressions as a kernel answers the namespace probe with `value`."""
    return {PROBE_KEY: {"status": "ok", "data": {"text/plain": repr(json.dumps(value))}}}


class ScriptedKernel:
    """A kernel double: `scripts` maps a cell's source to what its run does (by default it
    succeeds quietly); every run's code is kept in `ran`. With `namespace` set, the
    namespace probe answers that every name in it changed (a full answer)."""

    def __init__(
        self,
        kernel_name: str,
        on_status: StatusCallback,
        scripts: dict[str, Script],
    ) -> None:
        self.kernel_name = kernel_name
        self.status: KernelStatus = "not started"
        self.started = False
        self.ran: list[str] = []
        self.interrupted = asyncio.Event()
        self.restarts = 0
        self.namespace: dict[str, dict[str, Any]] | None = None
        self.crashed = False  # set by a test: the process is gone, nobody has noticed yet
        self._on_status = on_status
        self._scripts = scripts
        self._count = 0
        self.observer: Observer | None = None
        self.comms: list[tuple[str, dict[str, Any]]] = []  # every comm message sent to it

    def _set_status(self, status: KernelStatus) -> None:
        if status != self.status:
            self.status = status
            self._on_status(status)

    async def execute(
        self,
        code: str,
        on_output: OutputCallback,
        on_input: InputCallback,
        user_expressions: dict[str, str] | None = None,
        *,
        on_sent: Callable[[], None] | None = None,
    ) -> ExecutionOutcome:
        self.started = True
        self.interrupted.clear()
        self._set_status("busy")
        if on_sent is not None:
            on_sent()
        self._count += 1
        self.ran.append(code)
        turn = Turn(self, code, on_output, on_input, self._count)
        outcome = await self._scripts.get(code, quiet)(turn)
        if outcome.status == "dead":
            self.started = False
            self._set_status("dead")
            return outcome
        self._set_status("idle")
        if outcome.status == "ok" and user_expressions and self.namespace is not None:
            return ExecutionOutcome("ok", outcome.execution_count, None, self._probe())
        return outcome

    def _probe(self) -> dict[str, Any]:
        return probe_reply({"full": True, "changed": self.namespace, "removed": []})

    async def comm(self, comm_id: str, data: dict[str, Any]) -> bool:
        self.comms.append((comm_id, data))
        return self.started and not self.crashed

    async def alive(self) -> bool:
        return self.started and not self.crashed

    async def evaluate(self, expressions: dict[str, str]) -> dict[str, Any]:
        return self._probe() if self.namespace is not None else probe_reply({"changed": {}})

    async def interrupt(self) -> None:
        self.interrupted.set()

    async def restart(self) -> None:
        self.restarts += 1
        self.namespace = {} if self.namespace is not None else None
        self.started = True
        self._set_status("idle")

    async def shutdown(self) -> None:
        self.started = False
        self._set_status("not started")


class ScriptedKernels:
    """The KernelFactory of the scripted kernel: `made` holds every kernel it made."""

    def __init__(self, scripts: dict[str, Script] | None = None) -> None:
        self.scripts: dict[str, Script] = scripts if scripts is not None else {}
        self.made: list[ScriptedKernel] = []

    def specs(self) -> dict[str, str]:
        return {"python3": "Python 3", "other": "Other"}

    def __call__(self, kernel_name: str, on_status: StatusCallback) -> ScriptedKernel:
        kernel = ScriptedKernel(kernel_name, on_status, self.scripts)
        self.made.append(kernel)
        return kernel
