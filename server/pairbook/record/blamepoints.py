"""Blame points: a cell's blame without replaying the whole log.

Every replay checkpoint the recorder saves carries the blame of every cell at that moment,
carried forward from the checkpoint before it (`blame_upto`). A blame asked cold starts at
the newest checkpoint before the moment that has one, and replays only the records after
it: at most `checkpoint_every` of them, not the whole log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pairbook.record.blame import Blame
from pairbook.record.checkpoints import unpack_blame, unpack_checkpoint, unpack_waiting
from pairbook.store.port import Store

YIELD_EVERY = 100
"""Records applied between two yields to the event loop (a few milliseconds' work): the
recorder carries its blame forward in a live room, whose peers must not wait on it."""

LOOK_BACK = 8
"""Checkpoints looked at, newest first, for one with a blame (a seek saves some without)."""


async def blame_before(store: Store, room: str, seq: int, first: int) -> Blame | None:
    """The blame kept with the newest checkpoint at or before `seq` (and after `first`,
    the oldest record kept) that has one; None when there is none."""
    seqs = [s for s in await store.checkpoint_seqs(room) if first < s <= seq]
    for at in reversed(seqs[-LOOK_BACK:]):
        checkpoint = await store.checkpoint(room, at)
        kept = None if checkpoint is None else unpack_blame(checkpoint.snapshot)
        if checkpoint is not None and kept is not None:
            update, state = kept
            waiting = unpack_waiting(checkpoint.snapshot)
            return Blame.restore(update, checkpoint.upto_seq, state, waiting)
    return None


async def advance(
    blame: Blame,
    store: Store,
    room: str,
    seq: int,
    on_record: Callable[[Blame], None] | None = None,
) -> None:
    """Replay the log's records after `blame.seq` up to `seq` into it (fewer if the log
    ends sooner), yielding to the event loop now and then; `on_record` after each."""
    applied = 0
    while blame.seq < seq:
        records = await store.records(room, blame.seq, limit=min(seq - blame.seq, 2000))
        if not records:
            return
        for record in records:
            blame.apply(record)
            if on_record is not None:
                on_record(blame)
            applied += 1
            if applied % YIELD_EVERY == 0:
                await asyncio.sleep(0)


async def blame_upto(store: Store, room: str, seq: int, first: int) -> Blame:
    """The blame at `seq`: from the newest blame kept before it, else from `first`."""
    blame = await blame_before(store, room, seq, first)
    if blame is None:
        blame = await start_blame(store, room, first)
    await advance(blame, store, room, seq)
    return blame


async def start_blame(store: Store, room: str, first: int) -> Blame:
    """A blame at the log's start: `first`, the record before the oldest kept. Older
    records are gone (retention) when it is not 0: it starts at the checkpoint they left,
    authorless."""
    checkpoint = await store.checkpoint(room, first) if first > 0 else None
    if checkpoint is None:
        return Blame(None, first)
    stored = checkpoint.snapshot
    return Blame(unpack_checkpoint(stored), first, waiting=unpack_waiting(stored))
