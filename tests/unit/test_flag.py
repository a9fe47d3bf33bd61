"""Flag behaves as asyncio.Event does, and holds no list of waiters while nobody waits."""

from __future__ import annotations

import asyncio

import pytest

from pairbook.flag import Flag


async def test_a_set_flag_is_waited_for_without_blocking() -> None:
    flag = Flag()
    flag.set()
    assert flag.is_set()
    assert await flag.wait() is True


async def test_setting_the_flag_wakes_every_waiter() -> None:
    flag = Flag()
    woken: list[int] = []

    async def waiter(n: int) -> None:
        await flag.wait()
        woken.append(n)

    tasks = [asyncio.create_task(waiter(n)) for n in range(3)]
    await asyncio.sleep(0)
    assert woken == []
    flag.set()
    await asyncio.gather(*tasks)
    assert woken == [0, 1, 2]


async def test_a_cleared_flag_blocks_again() -> None:
    flag = Flag()
    flag.set()
    flag.clear()
    assert not flag.is_set()
    waiting = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    assert not waiting.done()
    flag.set()
    assert await waiting is True


async def test_a_cancelled_waiter_leaves_no_list_behind() -> None:
    flag = Flag()
    assert flag._waiters is None
    waiting = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    assert flag._waiters is not None
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert flag._waiters is None
    flag.set()  # nobody to wake
    assert flag.is_set()


async def test_a_timeout_around_a_wait_cancels_it_cleanly() -> None:
    flag = Flag()
    try:
        async with asyncio.timeout(0):
            await flag.wait()
    except TimeoutError:
        pass
    assert flag._waiters is None


async def test_a_callback_runs_once_the_next_time_the_flag_is_set() -> None:
    flag = Flag()
    calls: list[str] = []
    flag.when_set(lambda: calls.append("first"))
    assert calls == []
    flag.set()
    flag.clear()
    flag.set()
    assert calls == ["first"]  # once
    flag.when_set(lambda: calls.append("at once"))  # already set
    assert calls == ["first", "at once"]


def test_a_second_callback_while_one_waits_is_refused_not_swapped_in() -> None:
    flag = Flag()
    calls: list[str] = []
    flag.when_set(lambda: calls.append("first"))
    with pytest.raises(RuntimeError, match="got a second"):
        flag.when_set(lambda: calls.append("second"))
    flag.set()
    assert calls == ["first"]
    flag.clear()
    flag.when_set(lambda: calls.append("after"))  # the first has run: a new one may wait
    flag.set()
    assert calls == ["first", "after"]


async def test_wait_until_says_false_once_its_time_is_up_and_leaves_nothing_behind() -> None:
    flag = Flag()
    assert await flag.wait_until(asyncio.get_running_loop().time()) is False
    assert flag._waiters is None
    timers = asyncio.get_running_loop()._scheduled  # type: ignore[attr-defined]
    assert all(timer.cancelled() for timer in timers)


async def test_wait_until_says_true_when_the_flag_is_set_before_its_time_is_up() -> None:
    flag = Flag()
    later = asyncio.get_running_loop().time() + 3600
    waiting = asyncio.create_task(flag.wait_until(later))
    await asyncio.sleep(0)
    flag.set()
    assert await waiting is True
    assert flag._waiters is None
    assert await flag.wait_until(later) is True  # set already: at once


async def test_a_cancelled_wait_until_leaves_no_waiter_and_no_timer() -> None:
    flag = Flag()
    waiting = asyncio.create_task(flag.wait_until(asyncio.get_running_loop().time() + 3600))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert flag._waiters is None
    timers = asyncio.get_running_loop()._scheduled  # type: ignore[attr-defined]
    assert all(timer.cancelled() for timer in timers)
