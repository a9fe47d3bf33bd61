"""The session summary, its commit message and trailers."""

from __future__ import annotations

import re

from pairbook.auth import User, color_for
from pairbook.mob import cells_ran, commit_message, summarize
from pairbook.mob.summary import review_link
from pairbook.types import UserId


def person(user_id: str, name: str, email: str = "") -> User:
    """Someone in the mob: a user as their token grants them."""
    return User(UserId(user_id), name, color_for(user_id), email)


ANA = person("ana", "Ana Lima", email="ana@example.org")
BO = person("u-bo", "Bo")
CY = person("cy", "Cy", email="cy@example.org")


def test_contributors_are_ordered_by_time_driven_and_credited_with_their_email() -> None:
    summary = summarize(
        {"ana": ANA, "u-bo": BO, "cy": CY},
        {"ana": 300.0, "u-bo": 600.0},
        {"ana": ["c2", "c1"], "pairbook:server": ["c1"]},
        {"u-bo": ["c1"]},
        since=1_700_000_000.0,
        until=1_700_003_600.0,
        cell_order=["c1", "c2"],
    )
    assert [c.person.id for c in summary.people] == ["u-bo", "ana", "cy"]
    assert summary.people[1].changed == ("c1", "c2")  # in notebook order
    assert [c.person.id for c in summary.contributors] == ["u-bo", "ana"]
    assert summary.trailers() == [
        "Co-authored-by: Bo <u-bo@users.pairbook.invalid>",
        "Co-authored-by: Ana Lima <ana@example.org>",
    ]


def test_the_commit_message_has_a_subject_a_body_and_the_trailers_last() -> None:
    summary = summarize(
        {"ana": ANA, "cy": CY},
        {"ana": 1500.0},
        {"ana": ["c1"]},
        {"ana": ["c1", "c2"]},
        since=1_700_000_000.0,
        until=1_700_003_600.0,
    )
    message = commit_message(summary, "  Clean\nthe data ")
    assert message == (
        "Clean the data\n"
        "\n"
        "pairbook session 2023-11-14 22:13 UTC to 2023-11-14 23:13 UTC: 1 contributor(s).\n"
        "- Ana Lima: drove 25 min, changed 1 cell(s), ran 2 cell(s)\n"
        "\n"
        "Co-authored-by: Ana Lima <ana@example.org>\n"
    )


def test_the_review_link_goes_before_the_trailers_and_names_the_span() -> None:
    summary = summarize({"ana": ANA}, {}, {"ana": ["c1"]}, {}, since=None, until=1_700_000_000.0)
    link = review_link("dir/a b.ipynb", "abc123", 1_700_000_000.0)
    assert link == "/notebooks/dir/a%20b.ipynb/review?since=abc123&until=1700000000.000"
    assert review_link("n.ipynb", 12.5, base="https://pb.example.org/") == (
        "https://pb.example.org/notebooks/n.ipynb/review?since=12.500"
    )
    assert review_link("n.ipynb", None) == "/notebooks/n.ipynb/review"
    lines = commit_message(summary, "Subject", link).splitlines()
    assert lines[-3:] == [f"Review: {link}", "", "Co-authored-by: Ana Lima <ana@example.org>"]


def test_cells_ran_counts_runs_that_started_since_the_session_began() -> None:
    executions = {
        "e1": {"cell_id": "c1", "user": {"id": "ana"}, "queued_at": 10.0, "started_at": 11.0},
        "e2": {"cell_id": "c2", "user": {"id": "ana"}, "queued_at": 20.0, "started_at": None},
        "e3": {"cell_id": "c3", "user": {"id": "bo"}, "queued_at": 30.0, "started_at": 31.0},
        "e4": {"cell_id": "c4", "user": {"id": "bo"}, "queued_at": 5.0, "started_at": 6.0},
    }
    assert cells_ran(executions, since=9.0) == {"ana": {"c1"}, "bo": {"c3"}}


def test_one_person_with_two_user_ids_is_credited_once() -> None:
    again = person("ana-2", "Ana Lima", email="ana@example.org")
    summary = summarize(
        {"ana": ANA, "ana-2": again},
        {"ana": 60.0, "ana-2": 30.0},
        {"ana": ["c1"], "ana-2": ["c1"]},
        {},
        since=1_700_000_000.0,
        until=1_700_003_600.0,
    )
    assert summary.trailers() == ["Co-authored-by: Ana Lima <ana@example.org>"]


def test_a_trailer_cannot_be_forged_from_a_name_or_an_email() -> None:
    eve = person(
        "u-eve",
        "Eve <x@y.org>\nSigned-off-by: Mallory",
        email="eve@example.org>\nSigned-off-by: Linus <torvalds@linux-foundation.org",
    )
    summary = summarize({"u-eve": eve}, {}, {"u-eve": ["c1"]}, {}, since=None, until=0.0)
    message = commit_message(summary, "Subject\nSigned-off-by: Someone <s@x.org>")
    assert summary.trailers() == [
        "Co-authored-by: Eve x@y.org Signed-off-by: Mallory <u-eve@users.pairbook.invalid>"
    ]
    trailers = [line for line in message.splitlines() if re.match(r"[A-Za-z-]+-by: ", line)]
    assert trailers == summary.trailers()
