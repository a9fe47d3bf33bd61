"""LogWindow: which log seqs a document holds, and when a gap means reading the log."""

from __future__ import annotations

from pairbook.rooms.lateness import GRACE, Lateness
from pairbook.rooms.logwindow import LogWindow


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_seqs_held_out_of_order_close_the_window_once_the_gap_fills() -> None:
    window = LogWindow(clock=Clock())
    window.start(3)
    window.hold(5)
    window.hold(6)
    assert (window.upto, window.ahead) == (3, {5, 6})
    assert window.holds(5)
    assert not window.holds(4)
    window.hold(4)
    assert (window.upto, window.ahead, window.known) == (6, set(), 6)


def test_a_gap_is_overdue_only_after_its_grace() -> None:
    clock = Clock()
    window = LogWindow(clock=clock)  # 0.2 s while no entry came late
    window.hold(2)  # 1 is missing
    assert not window.overdue(clock.now + 0.1)
    assert window.overdue(clock.now + 0.2)
    window.hold(1)
    assert not window.overdue(clock.now + 10)


def test_a_marker_ahead_of_the_log_is_forgotten_once_the_log_is_read_to_its_end() -> None:
    clock = Clock()
    window = LogWindow(clock=clock)
    window.know(4)
    assert window.overdue(clock.now + 1)
    window.read_to_end()
    assert (window.known, window.overdue(clock.now + 1)) == (0, False)


async def test_a_wait_for_a_seq_ends_once_every_seq_up_to_it_is_held() -> None:
    window = LogWindow(clock=Clock())
    window.start(3)
    assert window.reached(3).done()
    four, six = window.reached(4), window.reached(6)
    given_up = window.reached(5)
    given_up.cancel()
    window.hold(6)  # 4 and 5 are missing: held ahead
    assert window.newest == 6
    assert not four.done()
    assert not six.done()
    window.hold(4)
    assert four.done()
    assert not six.done()
    window.hold(5)
    assert six.done()
    assert window.newest == window.upto == 6


def test_a_gap_filled_late_through_the_broker_lengthens_the_next_gaps_grace() -> None:
    clock = Clock()
    window = LogWindow(clock=clock)
    window.hold(2)  # this process logged 2; another's 1 is on its way
    clock.now += 0.5
    assert window.overdue(clock.now)  # 0.2 s: read from the log
    window.hold(1)  # read from the log
    window.arrived(1)  # and its entry came 0.5 s after the gap was seen
    window.hold(4)  # the next gap
    clock.now += 0.5
    assert not window.overdue(clock.now)  # twice the lateness seen: 1 s
    assert window.overdue(clock.now + 0.5)


def test_entries_that_fill_no_gap_leave_the_grace_as_it_is() -> None:
    clock = Clock()
    window = LogWindow(clock=clock)
    for seq in range(1, 10):
        clock.now += 3.0
        window.arrived(seq)
        window.hold(seq)
    assert window.lateness.grace == 0.2


def test_a_run_of_seqs_a_document_is_far_behind_on_is_not_timed() -> None:
    clock = Clock()
    window = LogWindow(clock=clock)
    window.know(1000)  # the log's head, far ahead: those are read from the log
    clock.now += 30.0
    window.arrived(999)
    assert window.lateness.grace == 0.2


def test_the_grace_follows_the_recent_lateness_within_its_bounds() -> None:
    lateness = Lateness()
    lateness.note(100.0)
    assert lateness.grace == 5.0  # a lost entry is read from the log within 5 s anyway
    for _ in range(64):
        lateness.note(0.01)
    assert lateness.grace == 0.2
    for _ in range(60):
        lateness.note(0.3)
    assert lateness.grace == 0.6


def test_a_forwarded_command_waits_for_the_broker_no_longer_than_the_quiet_grace() -> None:
    window = LogWindow()
    assert window.reach_wait == window.gap_grace == GRACE
    for _ in range(10):
        window.lateness.note(2.0)  # the broker's entries come seconds late: gaps wait longer
    assert window.gap_grace == 4.0
    assert window.reach_wait == GRACE  # the command's records are logged: read them instead
