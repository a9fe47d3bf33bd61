"""A room's ownership that moves while the room loads (a long log, the build lock): the
lease keeper's round tells `moved` of it before anything is open, and the room must still
open as this process now holds it. Before, it opened as it was claimed: taken meanwhile, it
opened without its services while this process renewed its lease (every command, local or
forwarded, answered "moving"; the kernel ran nowhere); lost meanwhile, it ran its services
here while another process owned it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from pairbook.errors import ClusterError
from pairbook.rooms import RoomPolicy, Rooms
from pairbook.rooms.owners import RoomOwners
from pairbook.store import MemoryStore, RoomLog
from pairbook.types import RoomId
from support.notebooks import write_notebook
from support.ownership import MemoryOwnership

ROOM = RoomId("demo.ipynb")


class Lease(MemoryOwnership):
    """This process's lease of the room as the test sets it: `held` is what the keeper
    holds; `late` makes `owns()` read False as when a renewal is late, the lease still held."""

    def __init__(self, held: bool) -> None:
        super().__init__(None)
        self.held, self.late, self.competing = held, False, False

    async def claim(self, room: str) -> bool:
        self.competing = True
        return self.held

    def holds(self, room: str) -> bool:
        return self.held

    def owns(self, room: str) -> bool:
        return self.held and not self.late

    def token(self, room: str) -> int | None:
        return 1 if self.owns(room) else None

    async def drop(self, room: str) -> None:
        self.competing = False


class LongLog(MemoryStore):
    """A log whose every load runs `during` (if set) before it is read: the point where
    the test holds a room's load."""

    def __init__(self) -> None:
        super().__init__()
        self.during: Callable[[], Awaitable[None]] | None = None

    async def load(self, room: str) -> RoomLog | None:
        if self.during is not None:
            await self.during()
        return await super().load(room)


@contextlib.asynccontextmanager
async def process(tmp_path: Path, lease: Lease) -> AsyncIterator[tuple[Rooms, RoomOwners, LongLog]]:
    """A server process's rooms, bound to the lease as the app binds them."""
    write_notebook(tmp_path / "demo.ipynb")
    async with (
        LongLog() as store,
        Rooms(tmp_path, store, RoomPolicy(tick=0.01), services=[], ownership=lease) as rooms,
    ):
        owners = RoomOwners(rooms, lease)
        owners.bind()
        yield rooms, owners, store


@pytest.mark.parametrize("claimed", [False, True], ids=["taken", "lost"])
async def test_a_lease_taken_or_lost_while_the_room_loads_opens_it_as_it_is_now_held(
    tmp_path: Path, claimed: bool
) -> None:
    lease = Lease(held=claimed)
    async with process(tmp_path, lease) as (rooms, owners, store):

        async def keeper_round() -> None:  # once, in the middle of the room's load
            store.during = None
            lease.held = not claimed
            await owners.moved(ROOM)  # nothing open yet: it finds nothing to close

        store.during = keeper_round
        entry = await rooms.open(ROOM)
        assert entry.owned is (not claimed)
        assert rooms.get(ROOM) is entry
        assert lease.competing


async def test_a_late_renewal_while_the_room_loads_is_not_a_move(tmp_path: Path) -> None:
    # owns() reads False while a renewal is late (the loop busy loading a long log), yet
    # the keeper still holds the lease: the room opens owned, once.
    lease = Lease(held=True)
    async with process(tmp_path, lease) as (rooms, _owners, store):
        loads = 0

        async def late() -> None:
            nonlocal loads
            loads += 1
            lease.late = True

        store.during = late
        entry = await rooms.open(ROOM)
        assert entry.owned
        assert loads == 1


async def test_a_room_whose_owner_moves_at_every_load_is_refused_and_let_go(
    tmp_path: Path,
) -> None:
    lease = Lease(held=True)
    async with process(tmp_path, lease) as (rooms, _owners, store):

        async def flip() -> None:
            lease.held = not lease.held

        store.during = flip
        with pytest.raises(ClusterError, match="moving"):
            await rooms.open(ROOM)
        assert rooms.get(ROOM) is None
        assert not lease.competing
