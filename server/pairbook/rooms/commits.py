"""Commits: logging what the room's document already holds, then relaying it; and the
server's own edits, captured as Yjs clients send theirs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pycrdt import Doc, merge_updates

from pairbook.errors import FencedError, StoreError
from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import encode_sync_update
from pairbook.protocol.update import EMPTY_UPDATE, decode_state_vector
from pairbook.rooms.effects import Broadcast, Commit
from pairbook.rooms.protected import ProtectedRanges
from pairbook.store.port import Store
from pairbook.types import SERVER_MAPS, UserId

ServerEdit = Callable[[Doc[Any]], None]
MOVED = "the room moved to another server process; reconnecting"

log = logging.getLogger("pairbook.room")


class CommitQueue:
    """Logs updates, then has `relay` send each on (with its log seq), in the order started:
    the log's queue is first in, first out. A failed write calls `lose` with why.

    A commit is the store's write future and a callback that relays it, not a task of its
    own, with a store that hands its write's future out at once (`append_soon`: the SQLite
    and PostgreSQL group-commit writers); with another, a task runs its append. Writes are
    queued in the order the commits started: those started while the first commit is being
    written wait in a list, queued in order once it is.

    `add` starts a commit nobody waits for (a peer's update, relayed once logged: the
    connection reads its next frame meanwhile); `start` one whose caller awaits its seq (a
    server edit). `settle` and `landed` wait for what was started before them; they make
    their futures when called, not one per commit (at 2,000 updates a second each commit's
    future, callback and shield were a large part of the objects a frame left behind)."""

    def __init__(
        self,
        room_id: str,
        store: Store,
        *,
        relay: Callable[[Commit, int], None],
        lose: Callable[[str, CloseCode], None],
        observe: Callable[[float], None] | None = None,
    ) -> None:
        self._room_id = room_id
        self._store = store
        self._relay = relay
        self._lose = lose
        self._observe = observe
        """Told how long each peer's commit took from its frame's arrival to its relay."""
        self._unwritten: dict[_Pending, None] = {}
        """Commits started and not yet written (or failed), in the order started."""
        self._first: asyncio.Task[int] | None = None
        self._waiting: list[_Pending] = []
        """Commits started while the first was being written, in order."""
        self.inflight = 0
        """Commits being written: the document holds changes the log may not yet."""
        self._failed: type[StoreError] | None = None
        """A change was not logged (fenced off, or another failure): none made after it may
        be, and each is refused with the same kind of error (callers tell a fence apart)."""

    def start_first(self, write: Callable[[], Awaitable[int]]) -> asyncio.Task[int]:
        """Log, with `write`, what the document was made from (a room's base history,
        built from its file) while the room already serves it; its log seq is the task's
        result. It counts as in flight, and every commit started after it waits for it: no
        change made on top of it is logged (or relayed) before it, nor at all if it fails,
        which loses the room. Call it once, before any `start`."""
        if self._first is not None or self._unwritten:
            raise RuntimeError("expected the first commit before any other, got a second one")
        self.inflight += 1
        task = self._first = asyncio.ensure_future(self._run_first(write))
        task.add_done_callback(self._release)
        return task

    async def _run_first(self, write: Callable[[], Awaitable[int]]) -> int:
        try:
            return await write()
        except Exception as exc:
            self._failed = StoreError
            log.error("log write failed", extra={"room": self._room_id, "error": str(exc)})
            self._lose("the server could not save the notebook", CloseCode.INTERNAL_ERROR)
            raise
        finally:
            self.inflight -= 1

    def _release(self, first: asyncio.Task[int]) -> None:
        """The first commit is written (or failed): the commits behind it go, in order."""
        waiting, self._waiting = self._waiting, []
        for pending in waiting:
            self._write(pending)

    def start(self, commit: Commit, received: float = 0.0) -> asyncio.Future[int]:
        """Log `commit`, then relay it; the future's result is its log seq (or the error
        that lost the room). `received`: as for `add`."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._start(_Pending(commit, future, received))
        return future

    def add(self, commit: Commit, received: float = 0.0) -> None:
        """Log `commit`, then relay it, with nobody waiting: a failure loses the room (its
        peers are closed), and that is all a peer's frame needs to know. `received`: when
        its frame arrived (`time.perf_counter`), for `observe`."""
        self._start(_Pending(commit, None, received))

    def _start(self, pending: _Pending) -> None:
        # Counted from now, not from when it is written: `last_seq + inflight` is the log
        # position of the newest change the document holds (the recorder notes events at it
        # while server edits are logged in the background).
        self.inflight += 1
        self._unwritten[pending] = None
        first = self._first
        if first is not None and (not first.done() or self._waiting):
            self._waiting.append(pending)
        else:
            self._write(pending)

    def _write(self, pending: _Pending) -> None:
        """Queue the commit's write now; `_written` relays it or fails it."""
        commit = pending.commit
        written: Awaitable[int]
        try:
            if self._failed is not None:
                # Applied once the room was lost (a frame handled as its peers were being
                # closed): made on top of the change the log lost, it must not be logged.
                # Server edits too (a run's outputs): the service's edit raises StoreError
                # and nothing of it is relayed. A room the feed lost (no write failed) still
                # logs a server edit, then relays it: its document lacks logged changes at
                # worst, never holds unlogged ones, so the edit is a valid record, and kept
                # it survives the reload.
                raise self._failed("an earlier change of the room was not saved")
            first = self._first
            if first is not None and (first.cancelled() or first.exception() is not None):
                raise RuntimeError("the room's first change was not logged")
            append = getattr(self._store, "append_soon", self._store.append)
            written = append(
                self._room_id, commit.update, commit.author, commit.clients, fence=commit.fence
            )
        except Exception as exc:  # refused at once: failed as if written
            # and nothing made after it is logged, from now (the callback runs next turn)
            self._failed = self._failed or _kind_of(exc)
            written = asyncio.get_running_loop().create_future()
            written.set_exception(exc)
        # A coroutine (a store without `append_soon`) becomes a task: its first step, in
        # the order the tasks were made, queues the write.
        future = asyncio.ensure_future(written)
        if _logged(future) and next(iter(self._unwritten)) is pending:
            # Logged already (a lone append the event loop committed itself, store/lone.py)
            # and nothing started before it is left to relay: relayed now, not on the loop's
            # next turn (a poll and whatever else is ready on the way to the first write).
            self._written(future, pending)
        else:
            future.add_done_callback(partial(self._written, pending=pending))

    def _written(self, written: asyncio.Future[int], pending: _Pending) -> None:
        """The store's answer: relay the commit, or fail it (and the room)."""
        self.inflight -= 1
        del self._unwritten[pending]
        # A cancelled write logged nothing, as a failed one: the document holds a change
        # the log does not, so the room is lost (the commit is shielded by its callers: a
        # connection or room closing never cancels it; only the write's own task can be).
        error: BaseException | None
        if written.cancelled():
            error = StoreError("the write was cancelled")
        else:
            error = written.exception()
        if error is None:
            try:
                self._relay(pending.commit, written.result())
            except Exception as exc:  # a bug: the commit's future reports it
                error = exc
                if pending.future is None:  # nobody to report it: some peers may lack it
                    log.exception("relay failed", extra={"room": self._room_id})
                    self._lose("the server failed to relay a change", CloseCode.INTERNAL_ERROR)
            else:
                if pending.received and self._observe is not None:
                    self._observe(time.perf_counter() - pending.received)
        elif isinstance(error, Exception):
            self._fail(error)
        pending.settle(written, error)

    def _fail(self, exc: Exception) -> None:
        """A change was not logged: none after it may be, and the room is lost."""
        if isinstance(exc, FencedError):
            self._failed = FencedError
            # A later owner took the room over while this process still wrote as its owner:
            # the document holds a change no log will, so the room reloads as it now is.
            log.warning("owner write fenced off", extra={"room": self._room_id, "error": str(exc)})
            self._lose(MOVED, CloseCode.GOING_AWAY)
            return
        self._failed = self._failed or StoreError
        # The error names the store (a file's path, a database's host and user): it goes
        # to the server's log, not into the close reason every peer of the room reads.
        log.error("log write failed", extra={"room": self._room_id, "error": str(exc)})
        self._lose("the server could not save a change", CloseCode.INTERNAL_ERROR)

    def _outcomes(self, *, first: bool) -> list[asyncio.Future[Any]]:
        """Futures for the commits started so far (and the first commit's task, with
        `first`), done once each is written or failed."""
        futures: list[asyncio.Future[Any]] = [pending.outcome() for pending in self._unwritten]
        if first and self._first is not None and not self._first.done():
            futures.append(self._first)
        return futures

    async def settle(self) -> None:
        """Wait until every commit started so far is logged and relayed (or failed).
        Cancelling the wait leaves the commits running (gather would cancel them: a change
        the document holds would never be logged, relayed or reported lost)."""
        futures = self._outcomes(first=True)
        if futures:
            await asyncio.wait(futures)

    async def landed(self) -> bool:
        """Wait for the changes the document holds now to be logged; False if one failed
        (the room is lost). The first commit (the base built from the file) is no one's
        change and is not waited for alone; a change on top of it waits for it anyway.
        Cancelling the wait leaves the commits running."""
        futures = self._outcomes(first=False)
        if not futures:
            return True
        await asyncio.wait(futures)
        return all(future.result() for future in futures)


def _logged(written: asyncio.Future[int]) -> bool:
    """Whether a write is done and succeeded (a failed one is handled on the next turn,
    as ever: the room is lost from its callback)."""
    return written.done() and not written.cancelled() and written.exception() is None


def _kind_of(exc: Exception) -> type[StoreError]:
    """The error every change made after the failed one is refused with."""
    return FencedError if isinstance(exc, FencedError) else StoreError


class _Pending:
    """A commit started: what it logs, its caller's future (None: nobody waits), when its
    frame arrived, and a future made for `settle` or `landed` only when they wait for it."""

    __slots__ = ("_outcome", "commit", "future", "received")

    def __init__(
        self, commit: Commit, future: asyncio.Future[int] | None, received: float = 0.0
    ) -> None:
        self.commit = commit
        self.future = future
        self.received = received
        self._outcome: asyncio.Future[bool] | None = None

    def outcome(self) -> asyncio.Future[bool]:
        """Done with True once written and relayed, False once failed."""
        if self._outcome is None:
            self._outcome = asyncio.get_running_loop().create_future()
        return self._outcome

    def settle(self, written: asyncio.Future[int], error: BaseException | None) -> None:
        future = self.future
        if future is not None and not future.done():  # cancelled by a caller: they shield it
            if error is None:
                future.set_result(written.result())
            else:
                future.set_exception(error)
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(error is None)


def capture_edit(doc: Doc[Any], edit: ServerEdit) -> tuple[bytes | None, BaseException | None]:
    """Run an edit in one transaction: the update it made (None if nothing) and what it
    raised. What an edit wrote before it failed is in the document, so it is returned too.

    The edit's own transaction update, as Yjs clients send theirs: only its structs and its
    deletions (get_update(state) would carry the whole delete set every time)."""
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    error: BaseException | None = None
    try:
        with doc.transaction():
            edit(doc)
    except BaseException as exc:  # re-raised by the caller once the edit is logged
        error = exc
    finally:
        doc.unobserve(subscription)
    if not updates:
        return None, error
    update = updates[-1] if len(updates) == 1 else merge_updates(*updates)
    return (None if update == EMPTY_UPDATE else update), error


@dataclass(frozen=True, slots=True)
class ServerCommit:
    commit: Commit
    end: int
    """The server's client id's clock after the edit."""


def server_commit(
    doc: Doc[Any],
    update: bytes,
    author: UserId,
    start: int,
    ranges: ProtectedRanges,
    *,
    protected: bool,
    fence: int | None = None,
) -> ServerCommit:
    """The commit of a server edit made from clock `start` on. `protected` edits write
    pairbook's own maps: their IDs join `ranges` so that no peer can touch them, and they
    are logged under SERVER_MAPS, so the ranges can be found again after a restart."""
    # Only the server writes with its own client id (claimed for it when the room was
    # built), so the edit's new structs are exactly that id's clocks from `start` on.
    client = doc.client_id
    end = decode_state_vector(doc.get_state()).get(client, 0)
    if protected:
        if end > start:
            ranges.add(client, start, end)
        author = SERVER_MAPS
    relay = Broadcast(encode_sync_update(update), None)
    return ServerCommit(Commit(update, author, (client,), relay, fence), end)
