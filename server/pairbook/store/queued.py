"""What every store back end shares: its life (`StoreLife`: open, close, `async with`) and,
for the back ends with a group-commit writer, every port method but `append` as one query
function run by the writer or in a read transaction (`QueuedStore`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from types import ModuleType
from typing import Any, ClassVar, Protocol, Self, TypeVar

from pairbook.store.batches import Counters
from pairbook.store.records import (
    Checkpoint,
    EventKinds,
    EventRecord,
    RoomLog,
    Stamp,
    StoreStats,
    UpdateRecord,
)
from pairbook.store.rules import (
    StoreState,
    check_client_ids,
    check_closed,
    check_limit,
    check_open,
    check_token,
    check_update,
)

T = TypeVar("T")


class StoreLife:
    """A store's life, the same for every back end: `open` (once, from closed), `close`
    (commits what is queued; twice is harmless; a cancelled close does not cancel it) and
    `async with store:`. A back end says how it starts (`_start`) and stops (`_stop`)."""

    _state: StoreState = StoreState.CLOSED
    _stopped: asyncio.Future[None] | None = None

    async def _start(self) -> None:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError

    async def open(self) -> None:
        check_closed(self._state)
        self._state = StoreState.OPENING
        try:
            await self._start()
        except BaseException:
            self._state = StoreState.CLOSED
            raise
        self._state = StoreState.OPEN

    async def close(self) -> None:
        if self._state is StoreState.CLOSING and self._stopped is not None:
            await asyncio.shield(self._stopped)
            return
        if self._state is not StoreState.OPEN:
            return
        self._state = StoreState.CLOSING
        # Shielded: a cancelled close() must not cancel the writer's last commit.
        self._stopped = asyncio.ensure_future(self._stopping())
        await asyncio.shield(self._stopped)

    async def _stopping(self) -> None:
        try:
            await self._stop()
        finally:
            self._state = StoreState.CLOSED

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class GroupWriter(Protocol):
    """A back end's group-commit writer, as its store hands it writes."""

    def append(
        self,
        room: str,
        update: bytes,
        user_id: str,
        client_ids: tuple[int, ...],
        ts: float,
        fence: int | None = None,
    ) -> Awaitable[int]: ...

    def submit(self, run: Callable[..., Any]) -> Awaitable[Any]: ...


class QueuedStore(StoreLife):
    """A store whose writes go through one group-commit writer (`_writer`, set while open)
    and whose reads run each in one read transaction (`_read`). `sql` is the module of the
    back end's query functions: writes take the writer's connection (and whatever else the
    writer passes), reads a reading connection."""

    sql: ClassVar[ModuleType]
    _writer: GroupWriter | None

    def __init__(self, *, clock: Callable[[], float], timer: Callable[[], float]) -> None:
        self._clock = clock
        self._timer = timer
        self._counters = Counters()
        self._writer = None

    async def _read(self, run: Callable[..., Any], doing: str) -> Any:
        raise NotImplementedError

    def _check_append(self, room: str, user_id: str) -> None:
        """What a back end refuses of an append beyond the shared checks (raising)."""

    async def _write(self, run: Callable[..., Any], doing: str) -> Any:
        check_open(self._state, doing)
        assert self._writer is not None
        return await self._writer.submit(run)

    # --- writes --------------------------------------------------------------------------

    async def append(
        self,
        room: str,
        update: bytes,
        user_id: str,
        client_ids: Sequence[int],
        *,
        fence: int | None = None,
    ) -> int:
        return await self.append_soon(room, update, user_id, client_ids, fence=fence)

    def append_soon(
        self,
        room: str,
        update: bytes,
        user_id: str,
        client_ids: Sequence[int],
        *,
        fence: int | None = None,
    ) -> Awaitable[int]:
        """`append` without a coroutine of its own: checked at once (raising as `append`
        does), then the writer's future. A room's commit queue takes it on its hot path
        (no task per update: `rooms.commits`)."""
        check_open(self._state, f"append to room {room!r}")
        self._check_append(room, user_id)
        update = check_update(update)
        ids = check_client_ids(client_ids)
        assert self._writer is not None
        return self._writer.append(room, update, user_id, ids, self._clock(), check_token(fence))

    async def raise_fence(self, room: str, token: int) -> int:
        run = partial(self.sql.raise_fence, room=room, token=check_token(token))
        fence: int = await self._write(run, f"fence room {room!r}")
        return fence

    async def save_snapshot(
        self, room: str, snapshot: bytes, upto_seq: int, *, meta: Mapping[str, str] | None = None
    ) -> None:
        save = partial(
            self.sql.save_snapshot, room=room, snapshot=check_update(snapshot),
            upto_seq=upto_seq, ts=self._clock(), meta=dict(meta or {}),
        )  # fmt: skip
        await self._write(save, f"save a snapshot of room {room!r}")

    async def prune(self, room: str, upto_seq: int) -> int:
        run = partial(self.sql.prune, room=room, upto_seq=upto_seq)
        pruned: int = await self._write(run, f"prune room {room!r}")
        return pruned

    async def set_meta(self, room: str, key: str, value: str) -> None:
        run = partial(self.sql.set_meta, room=room, key=key, value=value)
        await self._write(run, f"set meta {key!r} of room {room!r}")

    async def claim(self, room: str, client_id: int, user_id: str) -> None:
        (client_id,) = check_client_ids((client_id,))
        run = partial(self.sql.claim, room=room, client_id=client_id, user_id=user_id)
        await self._write(run, f"claim client {client_id} in room {room!r}")

    async def drop_room(self, room: str) -> None:
        await self._write(partial(self.sql.drop_room, room=room), f"drop room {room!r}")

    async def append_events(
        self, room: str, events: Sequence[EventRecord], *, fence: int | None = None
    ) -> None:
        if events:
            run = partial(
                self.sql.append_events, room=room, events=list(events), fence=check_token(fence)
            )
            await self._write(run, f"append events to room {room!r}")

    async def save_checkpoint(
        self, room: str, snapshot: bytes, upto_seq: int, *, fence: int | None = None
    ) -> None:
        save = partial(
            self.sql.save_snapshot, room=room, snapshot=check_update(snapshot),
            upto_seq=upto_seq, ts=self._clock(), checkpoint=True, fence=check_token(fence),
        )  # fmt: skip
        await self._write(save, f"save a checkpoint of room {room!r}")

    async def prune_recording(self, room: str, upto_seq: int, *, fence: int | None = None) -> int:
        run = partial(
            self.sql.prune, room=room, upto_seq=upto_seq, recording=True, fence=check_token(fence)
        )
        pruned: int = await self._write(run, f"prune the recording of room {room!r}")
        return pruned

    # --- reads ---------------------------------------------------------------------------

    async def load(self, room: str) -> RoomLog | None:
        run = partial(self.sql.load_room, room=room)
        log: RoomLog | None = await self._read(run, f"load room {room!r}")
        return log

    async def meta(self, room: str) -> dict[str, str]:
        run = partial(self.sql.select_meta, room=room)
        found: dict[str, str] = await self._read(run, f"read the meta of room {room!r}")
        return found

    async def records(
        self, room: str, after_seq: int = 0, limit: int | None = None
    ) -> list[UpdateRecord]:
        check_limit(limit)
        run = partial(self.sql.select_records, room=room, after_seq=after_seq, limit=limit)
        found: list[UpdateRecord] = await self._read(run, f"read records of room {room!r}")
        return found

    async def rooms(self) -> list[str]:
        found: list[str] = await self._read(self.sql.select_rooms, "list rooms")
        return found

    async def events(
        self, room: str, first_seq: int = 0, last_seq: int | None = None, kinds: EventKinds = None
    ) -> list[EventRecord]:
        run = partial(
            self.sql.select_events,
            room=room, first_seq=first_seq, last_seq=last_seq, kinds=kinds,
        )  # fmt: skip
        found: list[EventRecord] = await self._read(run, f"read events of room {room!r}")
        return found

    async def checkpoint(self, room: str, at_most_seq: int) -> Checkpoint | None:
        run = partial(self.sql.find_checkpoint, room=room, at_most_seq=at_most_seq)
        found: Checkpoint | None = await self._read(run, f"read a checkpoint of room {room!r}")
        return found

    async def checkpoint_seqs(self, room: str) -> list[int]:
        run = partial(self.sql.checkpoint_seqs, room=room)
        found: list[int] = await self._read(run, f"list checkpoints of room {room!r}")
        return found

    async def stamps(self, room: str, after_seq: int = 0, limit: int | None = None) -> list[Stamp]:
        check_limit(limit)
        run = partial(self.sql.select_stamps, room=room, after_seq=after_seq, limit=limit)
        found: list[Stamp] = await self._read(run, f"read records of room {room!r}")
        return found

    async def seq_at(self, room: str, ts: float) -> int:
        run = partial(self.sql.seq_at, room=room, ts=ts)
        found: int = await self._read(run, f"find a moment of room {room!r}")
        return found

    def stats(self) -> StoreStats:
        return self._counters.stats()
