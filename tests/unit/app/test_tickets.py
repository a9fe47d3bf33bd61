"""Websocket tickets: one use each, short-lived, bounded in number."""

from __future__ import annotations

import pytest

from pairbook.app.tickets import TicketBook
from pairbook.errors import AuthError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def numbered() -> TicketBook:
    counter = iter(range(1_000_000))
    return TicketBook(ttl=30.0, limit=3, clock=Clock(), entropy=lambda: f"t{next(counter)}")


def test_a_ticket_names_the_token_it_was_minted_for_once() -> None:
    book = TicketBook()
    ticket = book.mint("token-a")
    assert ticket != "token-a"
    assert len(ticket) >= 40
    assert book.redeem(ticket) == "token-a"
    with pytest.raises(AuthError, match="already used"):
        book.redeem(ticket)


def test_an_unknown_ticket_is_refused_with_what_to_do() -> None:
    with pytest.raises(AuthError, match="POST /api/tickets"):
        TicketBook().redeem("made-up")


def test_a_ticket_expires_after_its_ttl() -> None:
    clock = Clock()
    book = TicketBook(ttl=30.0, clock=clock)
    early, late = book.mint("a"), book.mint("a")
    clock.now += 29.9
    assert book.redeem(early) == "a"
    clock.now += 0.1
    with pytest.raises(AuthError, match="expired"):
        book.redeem(late)


def test_expired_tickets_are_dropped_when_new_ones_are_minted() -> None:
    clock = Clock()
    book = TicketBook(ttl=30.0, clock=clock)
    for _ in range(5):
        book.mint("a")
    clock.now += 31
    book.mint("a")
    assert len(book) == 1


def test_outstanding_tickets_are_bounded_oldest_first() -> None:
    book = numbered()
    tickets = [book.mint("a") for _ in range(4)]
    assert len(book) == 3
    with pytest.raises(AuthError):
        book.redeem(tickets[0])
    assert book.redeem(tickets[3]) == "a"


def test_one_token_asking_in_a_loop_cannot_push_out_anothers_ticket() -> None:
    book = TicketBook(limit=100, per_token=4)
    theirs = book.mint("victim-token")
    mine = [book.mint("flooder-token") for _ in range(1000)]
    assert book.redeem(theirs) == "victim-token"
    assert len(book) == 4  # the flooder keeps only its newest four
    assert book.redeem(mine[-1]) == "flooder-token"
    with pytest.raises(AuthError):
        book.redeem(mine[0])
