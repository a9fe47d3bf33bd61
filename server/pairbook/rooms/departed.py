"""Departed: the clocks at which awareness states were removed, for a while.

A stock y-websocket client sends back every awareness state it receives, at that state's
clock. An echo still in flight when its client id's state is removed (the connection left,
or another process's state expired) reaches the server after the removal: without the
removal's clock the server took it for a new client id of the echoing connection, showed the
departed person's cursor under the echoer's name, and closed a stock client that echoed more
than the limit of ids with 1009. y-protocols keeps such clocks for the same reason.

Only another person's echo is refused: the same person's state at its old clock is their
browser reconnecting (a stock provider re-announces its state at the clock it had), shown
again at once as before."""

from __future__ import annotations

KEPT = 4096  # removals remembered per room (the oldest forgotten first)


class Departed:
    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._clocks: dict[int, tuple[int, str | None]] = {}

    def note(self, client_id: int, clock: int, user_id: str | None) -> None:
        """The client id's state, `user_id`'s, was removed at `clock` (its last clock + 1)."""
        self._clocks.pop(client_id, None)
        self._clocks[client_id] = (clock, user_id)
        if len(self._clocks) > self._kept:
            del self._clocks[next(iter(self._clocks))]

    def stale(self, client_id: int, clock: int, user_id: str) -> bool:
        """Whether `user_id`'s state at `clock` is older than another person's removal of
        the client id: an echo."""
        removed = self._clocks.get(client_id)
        return removed is not None and clock < removed[0] and removed[1] != user_id
