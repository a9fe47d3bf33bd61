"""KernelService's completion warm-up, with stand-ins for the runner and the kernel's
answers: it waits for the kernel to be quiet, and a restart abandons a warm-up under way."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pairbook.kernel import service as service_module
from pairbook.kernel.activity import Activity
from pairbook.kernel.service import KernelService


class Runner:
    def __init__(self) -> None:
        self.activity = Activity()
        self.busy = False
        self.session = "kernel 1"


class Introspection:
    """Answers every warm-up but those of kernels listed in `silent` (gone: never answer)."""

    def __init__(self, silent: set[str]) -> None:
        self.silent = silent
        self.asked: list[str] = []
        self.completions = 0
        self.abandoned: list[str] = []

    async def warm_up(self, kernel: str) -> bool:
        self.asked.append(kernel)
        if kernel in self.silent:
            try:
                await asyncio.get_running_loop().create_future()
            except asyncio.CancelledError:
                self.abandoned.append(kernel)
                raise
        return True


@pytest.fixture(autouse=True)
def short_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "WARM_UP_QUIET", 0.01)


def service_with(runner: Runner, introspection: Introspection) -> KernelService:
    service = KernelService.__new__(KernelService)
    service.runner = runner  # type: ignore[assignment]
    service.introspection = introspection  # type: ignore[assignment]
    return service


async def until(condition: Any) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("never happened")


async def test_a_restart_abandons_the_warm_up_of_the_kernel_that_is_gone() -> None:
    runner, introspection = Runner(), Introspection(silent={"kernel 1"})
    warming = asyncio.create_task(service_with(runner, introspection)._warm_up())
    try:
        runner.activity.ready.set()
        await until(lambda: introspection.asked == ["kernel 1"])
        runner.session = "kernel 2"  # restarted: the first never answers
        runner.activity.ready.set()
        await until(lambda: introspection.asked == ["kernel 1", "kernel 2"])
        assert introspection.abandoned == ["kernel 1"]
    finally:
        warming.cancel()


async def test_the_warm_up_waits_until_no_run_is_under_way() -> None:
    runner, introspection = Runner(), Introspection(silent=set())
    runner.busy = True  # a run is under way or waiting
    warming = asyncio.create_task(service_with(runner, introspection)._warm_up())
    try:
        runner.activity.ready.set()
        await asyncio.sleep(0.05)
        assert introspection.asked == []
        runner.busy = False
        await until(lambda: introspection.asked == ["kernel 1"])
    finally:
        warming.cancel()


async def test_a_kernel_someone_asked_a_completion_of_is_not_warmed_up_again() -> None:
    runner, introspection = Runner(), Introspection(silent=set())
    runner.busy = True
    warming = asyncio.create_task(service_with(runner, introspection)._warm_up())
    try:
        runner.activity.ready.set()
        await asyncio.sleep(0.02)
        introspection.completions += 1  # Ada pressed Tab: jedi loaded for her
        runner.busy = False
        await asyncio.sleep(0.05)
        assert introspection.asked == []
        runner.session = "kernel 2"  # restarted: the new one is warmed up
        runner.activity.ready.set()
        await until(lambda: introspection.asked == ["kernel 2"])
    finally:
        warming.cancel()


async def test_every_waiter_for_the_next_status_hears_it_once() -> None:
    activity = Activity()
    first, second = activity.next_status(), activity.next_status()
    assert first is second
    assert not first.done()
    activity.on_status("starting")
    assert first.done()
    later = activity.next_status()  # the change after that one
    assert not later.done()
    activity.on_status("idle")
    assert later.done()
