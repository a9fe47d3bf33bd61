"""The room's check service over a real room (servicekit): when a check may be asked again.
The notebook's run itself is `check_notebook`'s (tested in tests/integration/test_check*.py);
here it returns an empty report at once, as the service's bookkeeping is the point."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Map

from pairbook.auth import Role, User
from pairbook.check import service as check_service
from pairbook.check.report import NotebookReport
from pairbook.check.runner import KernelLaunch
from pairbook.check.service import CheckService
from pairbook.envs import EnvironmentCache
from pairbook.errors import ConflictError
from pairbook.schema import CHECK_MAP
from pairbook.service import Member
from pairbook.types import UserId
from support.servicekit import service_kit


async def test_a_check_may_be_asked_again_the_moment_its_report_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def at_once(*_: Any, **__: Any) -> NotebookReport:
        return NotebookReport("demo.ipynb")

    monkeypatch.setattr(check_service, "check_notebook", at_once)
    ada = Member("ada-0", User(UserId("ada"), "Ada", "#336699"), Role.EDITOR)
    async with service_kit(tmp_path) as kit:
        cache = EnvironmentCache(tmp_path / "envs")  # not used: check_notebook is at_once
        service = CheckService(kit.handle, tmp_path / "demo.ipynb", cache, KernelLaunch)
        answers: list[str] = []
        ycheck = kit.room.doc.get(CHECK_MAP, type=Map)

        def on_report(_: object) -> None:
            # The report is in the document: Ada reads it and asks for another check.
            if ycheck.get("status") == "done" and not answers:
                try:
                    service.ask(ada)
                    answers.append("started")
                except ConflictError as refused:
                    answers.append(str(refused))

        ycheck.observe(on_report)
        running = asyncio.create_task(service.run())
        try:
            service.ask(ada)
            async with asyncio.timeout(10):  # a bound on a hang
                while not answers:  # noqa: ASYNC110 (the document has no event to await)
                    await asyncio.sleep(0.01)
        finally:
            running.cancel()
    # Before: "a check is already running (started by Ada)", the service still held the
    # first one until after its report was written.
    assert answers == ["started"]
