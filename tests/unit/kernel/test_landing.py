"""Landing: an interrupt sent while a run's code was starting is sent again while the run
goes on; one sent to code already running is sent once."""

from __future__ import annotations

import asyncio

from pairbook.kernel.landing import AGAIN, STARTING, Landing
from support.clock import FakeClock


class Sends:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_an_interrupt_sent_while_the_code_starts_is_sent_again_while_the_run_goes_on() -> (
    None
):
    clock, sends = FakeClock(), Sends()
    landing = Landing(sends, clock, again_after=0)
    landing.began()
    clock.advance(STARTING / 2)
    landing.sent()
    landing.sent()  # a second request meanwhile schedules nothing more
    await settle()
    assert sends.count == AGAIN
    assert landing.interrupted


async def test_an_interrupt_to_code_that_runs_already_is_sent_once() -> None:
    clock, sends = FakeClock(), Sends()
    landing = Landing(sends, clock, again_after=0)
    landing.began()
    clock.advance(STARTING)
    landing.sent()
    await settle()
    assert sends.count == 0
    assert landing.interrupted


async def test_an_interrupt_to_code_that_has_shown_output_is_sent_once() -> None:
    # The code runs (it printed): it may catch KeyboardInterrupt to save its work.
    clock, sends = FakeClock(), Sends()
    landing = Landing(sends, clock, again_after=0)
    landing.began()
    landing.shown("stream")
    landing.sent()
    await settle()
    assert sends.count == 0
    assert landing.interrupted
    assert not landing.traceback_shown


async def test_a_run_that_ends_is_not_interrupted_again() -> None:
    clock, sends = FakeClock(), Sends()
    landing = Landing(sends, clock, again_after=0)
    landing.began()
    landing.sent()
    landing.close()
    await settle()
    assert sends.count == 0


def test_a_run_not_interrupted_says_so() -> None:
    assert not Landing(Sends(), FakeClock()).interrupted


def test_a_run_cut_short_with_no_reply_and_no_traceback_shows_why_it_stopped() -> None:
    shown: list[tuple[str, dict[str, object]]] = []
    landing = Landing(Sends(), FakeClock())
    landing.explain(None, lambda kind, content: shown.append((kind, content)))
    assert shown == []  # not interrupted: nothing to explain
    landing.sent()
    landing.explain({"content": {"status": "error"}}, lambda k, c: shown.append((k, c)))
    assert shown == []  # a reply came: the kernel said what happened
    landing.shown("error")
    landing.explain(None, lambda k, c: shown.append((k, c)))
    assert shown == []  # its traceback is in the cell already
    landing.traceback_shown = False
    landing.explain(None, lambda k, c: shown.append((k, c)))
    assert [(kind, content["ename"]) for kind, content in shown] == [("error", "KeyboardInterrupt")]


async def test_a_closed_landing_drops_the_interrupt_waiting_and_schedules_none_after() -> None:
    # The kernel was restarted under the run: nothing of it may reach the new kernel.
    clock, sends = FakeClock(), Sends()
    landing = Landing(sends, clock, again_after=0)
    landing.began()
    landing.sent()
    assert landing.pending
    landing.close()
    assert not landing.pending
    landing.sent()  # an interrupt asked meanwhile, of a run that is over
    await settle()
    assert sends.count == 0
    assert not landing.pending
