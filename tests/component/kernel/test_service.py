"""KernelService: the kernel's command rows, dispatched through the command table onto a
runner over a room double and the scripted kernel (roles, driver gate, arguments, notes)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pycrdt import Map

from pairbook.auth import Role
from pairbook.errors import KernelError
from pairbook.kernel.runner import Runner
from pairbook.kernel.service import KernelService
from pairbook.service import ArgumentError, Command, Member
from support.kernelkit import DocRoom, ScriptedKernels, notebook_doc, person, running

ANA = person("ana")
VIC = person("vic", Role.VIEWER)
OWNER = person("olga", Role.OWNER)


class Calls:
    """What the table told the room: the commands recorded, the driver gate's questions."""

    def __init__(self, driver: str | None = None) -> None:
        self.driver = driver  # None: free mode, every editor may drive
        self.noted: list[tuple[str, str]] = []
        self.gated: list[str] = []

    def note(self, member: Member, body: dict[str, Any]) -> None:
        self.noted.append((member.user.id, str(body["command"])))

    def gate(self, member: Member, command: Command[Any]) -> str | None:
        self.gated.append(command.name)
        if self.driver is None or member.user.id == self.driver:
            return None
        return "only the driver can do that in mob mode"


@contextlib.asynccontextmanager
async def service_of(sources: list[str]) -> AsyncIterator[tuple[KernelService, DocRoom]]:
    room = DocRoom(notebook_doc(sources), [ANA, VIC, OWNER])
    service = KernelService(
        Runner(room, ScriptedKernels(), "python3", kernel_state=False, flush_seconds=0)
    )
    await service.start()
    try:
        async with running(service.run()):
            yield service, room
    finally:
        await service.close()


async def test_a_kernel_the_document_shows_live_is_shown_stopped_before_anyone_joins() -> None:
    room = DocRoom(notebook_doc(["x = 1"]), [ANA])
    room.doc.get("kernel", type=Map).update({"name": "python3", "status": "idle"})
    service = KernelService(
        Runner(room, ScriptedKernels(), "python3", kernel_state=False, flush_seconds=0)
    )
    await service.start()  # the room admits peers once its services started; no worker yet
    try:
        shown = room.doc.get("kernel", type=Map)
        assert shown["status"] == "stopped"
        assert shown["stopped"]["reason"] == "server"
    finally:
        await service.close()


async def send(service: KernelService, member: Member, calls: Calls, **body: Any) -> dict[str, Any]:
    return await service.commands.dispatch(member, body, gate=calls.gate, note=calls.note)


async def test_the_table_declares_every_kernel_command_once() -> None:
    async with service_of([]) as (service, _room):
        assert service.commands.names == {
            "kernels", "run", "run-all", "run-above", "run-below", "cancel", "interrupt",
            "restart", "shutdown", "input-reply", "set-kernel", "refresh-state", "packages",
            "complete", "inspect", "widget",
        }  # fmt: skip


async def test_completion_is_for_editors_and_the_driver_inspection_for_everyone() -> None:
    calls = Calls(driver="olga")
    async with service_of([]) as (service, _room):
        with pytest.raises(PermissionError, match="only the driver"):
            await send(service, ANA, calls, command="complete", code="pri", cursor_pos=3)
        calls.driver = None
        with pytest.raises(PermissionError, match="viewers cannot edit"):
            await send(service, VIC, calls, command="complete", code="pri", cursor_pos=3)
        with pytest.raises(ArgumentError, match="detail_level is 0 or 1"):
            await send(service, VIC, calls, command="inspect", code="x", cursor_pos=1,
                       detail_level=2)  # fmt: skip
        # The scripted kernel has no sockets to ask on: a clear error, nothing recorded.
        with pytest.raises(KernelError, match="cannot be asked for completions"):
            await send(service, VIC, calls, command="inspect", code="x", cursor_pos=1)
        assert calls.noted == []


async def test_a_run_is_queued_through_the_table_and_recorded() -> None:
    calls = Calls()
    async with service_of(["a = 1"]) as (service, room):
        result = await send(service, ANA, calls, command="run", cells=["code-0"])
        (run,) = result["queued"]
        executions = room.doc.get("executions", type=Map)
        await room.until(lambda: executions.get(run, {}).get("status") == "ok")
        assert calls.noted == [("ana", "run")]
        assert calls.gated == ["run"]


async def test_viewers_list_kernels_but_cannot_run_or_control_the_kernel() -> None:
    calls = Calls()
    async with service_of(["a = 1"]) as (service, _room):
        kernels = await send(service, VIC, calls, command="kernels")
        assert kernels["current"] == "python3"
        for body in ({"command": "run", "cells": ["code-0"]}, {"command": "interrupt"},
                     {"command": "restart"}, {"command": "packages"}):  # fmt: skip
            with pytest.raises(PermissionError, match="viewers cannot run cells"):
                await send(service, VIC, calls, **body)
        assert calls.noted == []  # `kernels` only reads; refused commands did nothing


async def test_only_the_owner_changes_the_kernel() -> None:
    calls = Calls()
    async with service_of([]) as (service, _room):
        with pytest.raises(PermissionError, match="only the owner"):
            await send(service, ANA, calls, command="set-kernel", kernel="other")
        assert await send(service, OWNER, calls, command="set-kernel", kernel="other") == {
            "kernel": "other"
        }


async def test_malformed_arguments_are_refused_naming_the_argument() -> None:
    calls = Calls()
    async with service_of(["a = 1"]) as (service, _room):
        with pytest.raises(ArgumentError, match="run needs 'cells'"):
            await send(service, ANA, calls, command="run", cells="code-0")
        with pytest.raises(ArgumentError, match="run-below needs 'cell'"):
            await send(service, ANA, calls, command="run-below")
        with pytest.raises(ValueError, match="run-above needs 'cell'"):
            await send(service, ANA, calls, command="run-above", cell="nope")
        assert calls.noted == []


async def test_in_mob_mode_runs_and_kernel_control_ask_the_gate_cancel_does_not() -> None:
    calls = Calls(driver="olga")
    async with service_of(["a = 1"]) as (service, _room):
        for command in ("run-all", "interrupt", "restart", "shutdown"):
            with pytest.raises(PermissionError, match="only the driver"):
                await send(service, ANA, calls, command=command)
        with pytest.raises(ValueError, match="not waiting"):  # the runner's own rule
            await send(service, ANA, calls, command="cancel", execution="nope")
        assert calls.gated == ["run-all", "interrupt", "restart", "shutdown"]


async def test_widget_changes_are_for_editors_and_the_driver_only() -> None:
    async with service_of([]) as (service, _room):
        body = {"command": "widget", "id": 1, "model": "m", "state": {"value": 1}}
        with pytest.raises(PermissionError, match="viewers see widgets but cannot change"):
            await send(service, VIC, Calls(), **body)
        with pytest.raises(PermissionError, match="only the driver"):
            await send(service, person("nav"), Calls(driver="ana"), **body)
        with pytest.raises(ValueError, match="no live widget 'm'"):
            await send(service, ANA, Calls(driver="ana"), **body)


async def test_a_widget_change_may_not_set_the_kernels_own_keys() -> None:
    async with service_of([]) as (service, room):
        service.runner.widgets.observe(
            {"header": {"msg_type": "comm_open"}, "parent_header": {},
             "content": {"comm_id": "m", "target_name": "jupyter.widget",
                         "data": {"state": {"_model_name": "IntSliderModel", "value": 1}}}}
        )  # fmt: skip
        await room.until(lambda: "m" in room.doc.get("widgets", type=Map))
        body = {"command": "widget", "id": 1, "model": "m", "state": {"_model_name": "X"}}
        with pytest.raises(ValueError, match="starting with _ are the kernel's"):
            await send(service, ANA, Calls(), **body)
        # A malformed message from the kernel is logged, and goes to the run as before.
        malformed = {"header": {"msg_type": "comm_open"}, "parent_header": {},
                     "content": {"target_name": "jupyter.widget"}}  # fmt: skip
        assert not service.runner.widgets.observe(malformed)
