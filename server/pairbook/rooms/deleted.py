"""KnownDeletions: the room document's delete set, kept up to date change by change.

The sync machine asks whether a peer's deletions are already in the document: an echo
(pycrdt's provider sends back every update it applies, re-encoded, so the bytes differ from
what the room relayed and the echo digests miss it), a resync's step 2, a peer deleting
what the server deleted in its own maps. Recomputing the document's delete set after every
change (pycrdt's update at the document's own state, decoded in Python) cost time in
proportion to the session's whole history at each such question: a trivial run's server
CPU grew from 4.4 to 11.6 ms over 2,750 runs (`bench/execute/run.py`, a pycrdt client), a
third of it there. Here the delete set is read from the document once, then each change's
own deletions are merged in (a peer's decoded update at once; a server edit's or another
process's update only when a question needs it), and a question is two bisections a span.

What is known is always a subset of the document's delete set (every noted change was
applied to it), so "covered" is always right. "Not covered" can be wrong only for
deletions no change carried (an item inserted into a parent another peer deleted meanwhile
is deleted on arrival): an `exact` question then reads the document again, at most once
per change. A question of many spans (a resyncing peer's step 2 carries its whole delete
set, implicit deletions included) is always exact: taken for news, it would be logged and
relayed to everyone as a no-op at each reconnect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pairbook.protocol.update import decode_update
from pairbook.rooms.protected import ProtectedRanges

DeleteSet = Mapping[int, tuple[tuple[int, int], ...]]

EXACT_SPANS = 16
"""A question of more spans than this is always exact (see above); a backspace is one."""

UNREAD_KEPT = 64
"""Changes kept undecoded; beyond them (say no peer echoes, so nobody asks) they are
dropped and the next question reads the document's delete set afresh."""


class KnownDeletions:
    """The document's deletions, per client as merged clock ranges (`ProtectedRanges`, as
    the sync machine keeps refused deletions). `read` returns the document's whole delete
    set (as `Room.deletions` does)."""

    def __init__(self, read: Callable[[], DeleteSet]) -> None:
        self._read = read
        self._known = ProtectedRanges()
        self._unread: list[bytes] = []
        self._complete = False  # read from the document, every change since noted
        self._exact = False  # nothing changed since the document was read

    def noted(self, delete_set: DeleteSet) -> None:
        """A change the document took, with these deletions (decoded already)."""
        self._exact = False
        self._merge(delete_set)

    def noted_update(self, update: bytes) -> None:
        """A change the document took, as a Yjs update not decoded yet."""
        self._exact = False
        if not self._complete:
            return  # the next question reads the document anyway
        if len(self._unread) >= UNREAD_KEPT:
            self._unread.clear()
            self._complete = False
            return
        self._unread.append(update)

    def covers(self, spans: DeleteSet, *, exact: bool | None = None) -> bool:
        """Whether every (clock, length) span is deleted in the document. Not `exact`: a
        span no change carried counts as not deleted (it costs the caller a no-op); None:
        exact for a question of more than EXACT_SPANS spans."""
        if exact is None:
            exact = sum(len(wanted) for wanted in spans.values()) > EXACT_SPANS
        if self._has(spans):
            return True
        if self._unread:
            for update in self._unread:
                self._merge(decode_update(update).delete_set)
            self._unread.clear()
            if self._has(spans):
                return True
        if self._exact or (self._complete and not exact):
            return False
        self._reset(self._read())
        return self._has(spans)

    def _reset(self, delete_set: DeleteSet) -> None:
        self._known = ProtectedRanges()
        self._unread.clear()
        self._merge(delete_set)
        self._complete = self._exact = True

    def _merge(self, delete_set: DeleteSet) -> None:
        for client, spans in delete_set.items():
            for clock, length in spans:
                self._known.add(client, clock, clock + length)

    def _has(self, spans: DeleteSet) -> bool:
        known = self._known
        return all(
            known.covers(client, clock, clock + length)
            for client, wanted in spans.items()
            for clock, length in wanted
            if length > 0
        )
