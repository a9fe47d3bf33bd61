"""StopSignals: what a `pairbook` process caught of Ctrl-C, SIGTERM and SIGHUP."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from pairbook.stopsignals import STOP_SIGNALS, StopSignals


@pytest.fixture
def stops() -> Iterator[StopSignals]:
    """Caught for the test only: pytest's own handlers come back after it."""
    before = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    try:
        yield StopSignals().catch()
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def test_a_caught_signal_is_remembered_not_raised(stops: StopSignals) -> None:
    assert not stops.requested
    signal.raise_signal(signal.SIGTERM)
    assert stops.requested
    assert stops.received == [signal.SIGTERM]
    assert stops.wait(0)


def test_only_a_second_ctrl_c_forces(stops: StopSignals) -> None:
    heard: list[int] = []
    stops.listener = heard.append
    signal.raise_signal(signal.SIGINT)
    signal.raise_signal(signal.SIGHUP)
    assert not stops.forced
    signal.raise_signal(signal.SIGINT)
    assert stops.forced
    assert heard == [signal.SIGINT, signal.SIGHUP, signal.SIGINT]


def test_release_gives_ctrl_c_back_to_python(stops: StopSignals) -> None:
    stops.release()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
