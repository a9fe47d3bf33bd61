"""CheckService: the room's **Check** button. An editor asks (`check`), the room runs
`pairbook check` on the notebook as the room has it now — one check at a time — and writes its
progress and then its report into pairbook's own `check` map, so everyone sees both and the
page header shows the last verdict.

The environment is built by the server with wheels only (`--no-build`: no package's build
script runs outside the sandbox); the kernel runs as confined as the room's own kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from pycrdt import Doc, Map

from pairbook.auth import Role
from pairbook.check.checker import CheckOptions, check_notebook
from pairbook.check.report import NotebookReport
from pairbook.check.runner import KernelLaunch
from pairbook.envs import EnvironmentCache
from pairbook.envs.progress import LatestLine
from pairbook.errors import ConflictError
from pairbook.flag import Flag
from pairbook.notebook.ynotebook import ydoc_to_notebook
from pairbook.schema import CHECK_MAP, CheckRecord, UserRecord
from pairbook.service import Command, CommandTable, Member, RoomHandle
from pairbook.types import SERVER_USER

log = logging.getLogger("pairbook.check")

Body = dict[str, Any]

MAX_CHECKS = 2
"""Checks one server process runs at once, over all its rooms: each builds an environment
with uv and runs a kernel, so an editor pressing Check in many notebooks must not start them
all together. The others wait their turn, and say so."""

_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def server_slots() -> asyncio.Semaphore:
    """The check slots of this server process (one set per event loop)."""
    return _slots.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(MAX_CHECKS))


class CheckService:
    """One room's checks: at most one running; its state in the `check` map."""

    def __init__(
        self,
        room: RoomHandle,
        path: Path,
        cache: EnvironmentCache,
        launch: Callable[[], KernelLaunch],
        *,
        options: CheckOptions | None = None,
        clock: Callable[[], float] = time.time,
        slots: asyncio.Semaphore | None = None,
    ) -> None:
        self.room = room
        self.path = path
        self.cache = cache
        self.options = options or CheckOptions()
        self._launch = launch
        self._clock = clock
        self._slots = slots  # None: the server's (server_slots)
        self.running: UserRecord | None = None
        self.wanted = Flag()  # a check was asked for: the room starts `run` then
        self.commands = TABLE.bind(self)

    async def start(self) -> None:
        """A check the previous server was running when it stopped is marked stopped."""
        ycheck = self.room.doc.get(CHECK_MAP, type=Map)
        if ycheck.get("status") == "running":
            await self._write({"status": "stopped", "finished_at": None,
                               "progress": "the server stopped during the check"})  # fmt: skip

    async def close(self) -> None:
        """A running check ends with the room's task group (its kernel is stopped)."""

    def ask(self, member: Member) -> None:
        """Queue a check by `member` (ConflictError: one is running)."""
        if self.running is not None:
            raise ConflictError(
                f"a check is already running (started by {self.running['name']}); "
                "its report will show here when it ends"
            )
        self.running = member.user.to_record()
        self.wanted.set()

    async def run(self) -> None:
        """Forever (owned by the room's task group): run each check asked for."""
        while True:
            await self.wanted.wait()
            self.wanted.clear()
            by = self.running
            assert by is not None
            try:
                await self._check(by)
            except Exception:
                self._release(by)
                log.exception("check failed", extra={"room": self.room.id})
                await self._write({"status": "done", "verdict": "error",
                                   "summary": "the check itself failed: see the server log",
                                   "finished_at": self._clock()})  # fmt: skip
            finally:
                self._release(by)

    def _release(self, by: UserRecord) -> None:
        """The check asked by `by` is over: another may be asked (not one asked meanwhile)."""
        if self.running is by:
            self.running = None

    async def _check(self, by: UserRecord) -> None:
        await self.room.settle()
        nb = ydoc_to_notebook(self.room.doc)
        await self._write({"status": "running", "by": by, "started_at": self._clock(),
                           "finished_at": None, "progress": "starting"})  # fmt: skip
        async with (
            LatestLine(self._write_progress).publishing() as progress,
            self._slot(progress),
        ):
            report = await check_notebook(
                self.path, self.cache, self.options, progress,
                name=str(self.room.id), nb=nb, launch=self._launch(),
            )  # fmt: skip
        # Released before the report is written: whoever sees it may ask for the next check
        # at once (asked after the write, it was refused as "already running").
        self._release(by)
        await self._write(self._done(report))

    @contextlib.asynccontextmanager
    async def _slot(self, progress: Callable[[str], None]) -> AsyncIterator[None]:
        """One of the server's check slots, waited for (saying so) when all are taken."""
        slots = self._slots or server_slots()
        if slots.locked():
            progress("waiting: other checks are running on this server")
        async with slots:
            progress("starting")
            yield

    def _done(self, report: NotebookReport) -> CheckRecord:
        verdict = "error" if report.error else "passed" if report.passed else "failed"
        return {"status": "done", "verdict": verdict, "summary": report.summary(),
                "report": report.to_json(), "finished_at": self._clock(),
                "progress": ""}  # fmt: skip

    async def _write_progress(self, line: str) -> None:
        await self._write({"progress": line})

    async def _write(self, record: CheckRecord) -> None:
        def edit(doc: Doc[Any]) -> None:
            ycheck = doc.get(CHECK_MAP, type=Map)
            for key, value in record.items():
                ycheck[key] = value

        await self.room.apply_server_edit(edit, SERVER_USER, protected=True)


async def check(service: CheckService, member: Member, body: Body) -> Body:
    service.ask(member)
    return {"started": True}


TABLE: CommandTable[CheckService] = CommandTable.of(
    "check",
    [
        Command(
            "check",
            check,
            role=Role.EDITOR,
            refusal="viewers cannot run a check: ask an editor",
            driver_only=True,  # in mob mode, as Run all: the driver's to do
        )
    ],
)
