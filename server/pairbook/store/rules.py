"""The checks every store back end applies, so that all of them refuse the same things alike."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Self

from pairbook.errors import FencedError, StoreError

MAX_CLIENT_ID = 2**63 - 1
"""Yjs client ids are unsigned 53-bit in practice; SQLite integers stop at 2**63 - 1."""


def check_client_ids(client_ids: Sequence[int]) -> tuple[int, ...]:
    """The client ids as a tuple; ValueError for anything that is not a client id."""
    ids = tuple(client_ids)
    for client_id in ids:
        if isinstance(client_id, bool) or not isinstance(client_id, int):
            raise ValueError(f"client ids must be integers, got {client_id!r}")
        if not 0 <= client_id <= MAX_CLIENT_ID:
            raise ValueError(f"client id {client_id} is outside 0..{MAX_CLIENT_ID}")
    return ids


def check_update(update: bytes) -> bytes:
    """The update as immutable bytes; TypeError for anything else."""
    if isinstance(update, bytes):
        return update
    if isinstance(update, bytearray | memoryview):
        return bytes(update)
    raise TypeError(f"an update must be bytes, got {type(update).__name__}")


def check_snapshot(room: str, upto_seq: int, last_seq: int) -> None:
    """A snapshot may only cover records that exist."""
    if upto_seq < 1:
        raise ValueError(
            f"a snapshot covers seq 1..upto_seq, so upto_seq must be >= 1, got {upto_seq}"
        )
    if upto_seq > last_seq:
        raise StoreError(
            f"cannot save a snapshot of room {room!r} up to seq {upto_seq}: its log ends at seq "
            f"{last_seq}; snapshot only updates that append() has acknowledged"
        )


def check_prune(room: str, upto_seq: int, snapshot_seq: int) -> None:
    """Records may only be deleted once a snapshot holds their effect."""
    if upto_seq > snapshot_seq:
        covered = f"up to seq {snapshot_seq}" if snapshot_seq else "nothing (it has no snapshot)"
        raise StoreError(
            f"cannot prune room {room!r} up to seq {upto_seq}: its newest snapshot covers "
            f"{covered}; save a snapshot up to seq {upto_seq} first"
        )


def check_token(token: int | None) -> int | None:
    """A fencing token is an owner lease's grant number: an integer >= 1 (None: no fence)."""
    if token is None:
        return None
    if isinstance(token, bool) or not isinstance(token, int):
        raise TypeError(f"a fencing token must be an integer, got {token!r}")
    if not 1 <= token <= MAX_CLIENT_ID:
        raise ValueError(f"a fencing token is in 1..{MAX_CLIENT_ID}, got {token}")
    return token


def check_fence(room: str, token: int, fence: int, doing: str = "append to") -> None:
    """A write fenced by `token` may land only while no later owner fenced the room;
    `doing` names the write ("append to", "write events of", ...)."""
    if token < fence:
        raise FencedError(
            f"cannot {doing} room {room!r} with owner token {token}: the process holding "
            f"token {fence} has taken the room over, so this process no longer runs it; its "
            "peers reconnect to the room as it is now"
        )


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be None or >= 0, got {limit}")


class StoreState(Enum):
    """Where a store is in its life; only an open store reads or writes."""

    CLOSED = "closed"
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"


def check_open(state: StoreState, doing: str) -> None:
    if state is not StoreState.OPEN:
        raise StoreError(
            f"cannot {doing}: the store is {state.value}, expected open; "
            "open it with `async with store:` (or `await store.open()`) first"
        )


def check_closed(state: StoreState) -> None:
    if state is not StoreState.CLOSED:
        raise StoreError(
            f"cannot open the store: it is {state.value}, expected closed; "
            "open a store once and close it before opening it again"
        )


class OpenedByWith:
    """`async with store:` opens the store and closes it, the same for every back end."""

    async def open(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
