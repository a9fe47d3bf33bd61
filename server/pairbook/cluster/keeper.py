"""LeaseKeeper: holds the leases of the rooms one process has loaded, and says when the
process gains or loses one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from pairbook.cluster.lease import Lease, RoomLeases
from pairbook.errors import ClusterError, StoreError

log = logging.getLogger("pairbook.cluster")

LeaseEvent = Callable[[Lease], Awaitable[None]]
Fence = Callable[[str, int], Awaitable[int]]
"""Raises a room's fence in the store to a new grant's token; returns the fence it had."""


class LeaseKeeper:
    """Every `interval` (a third of the lease's time by default) each wanted room's lease is
    renewed if held, or taken if free. `gained(lease)` runs when this process becomes a
    room's owner, `lost(lease)` when it stops being one (the renewal found another grant, or
    Redis was unreachable for as long as the lease lasts). Run it with `run()` in a task
    group; `release_all()` hands every lease over at shutdown.

    With `fence` (the store's `raise_fence`), a grant counts only once the store refuses
    every earlier grant's writes: a lease is kept only when its token could be fenced in."""

    def __init__(
        self,
        leases: RoomLeases,
        *,
        gained: LeaseEvent,
        lost: LeaseEvent,
        interval: float | None = None,
        clock: Callable[[], float] | None = None,
        fence: Fence | None = None,
    ) -> None:
        self.leases = leases
        self._fence = fence
        self.interval = leases.ttl / 3 if interval is None else interval
        self._gained = gained
        self._lost = lost
        self._clock = clock or asyncio.get_running_loop().time
        self._wanted: set[str] = set()
        self._held: dict[str, tuple[Lease, float]] = {}  # the lease, when it was last renewed
        self._wake = asyncio.Event()
        self._free: set[str] = set()  # wanted rooms nobody held at the last look

    def held(self, room: str) -> Lease | None:
        """This process's lease of the room, if it holds one that cannot have run out yet:
        a process paused past its lease finds it gone here before its next renewal says so."""
        entry = self._held.get(room)
        if entry is None or self._clock() - entry[1] >= self.leases.ttl:
            return None
        return entry[0]

    def holds(self, room: str) -> bool:
        """Whether this process holds the room's lease: taken (`gained`), not lost since
        (`lost`), however late its renewal."""
        return room in self._held

    def want(self, room: str) -> None:
        """Compete for the room's lease from now on (taken at the next round)."""
        self._wanted.add(room)
        self._wake.set()

    async def claim(self, room: str) -> Lease | None:
        """Compete for the room from now on, trying at once: this process's lease, if it
        has it now (raises ClusterError when Redis cannot be reached)."""
        self._wanted.add(room)
        await self._keep(room)
        return self.held(room)

    async def drop(self, room: str) -> None:
        """Stop competing for the room; a lease held is released for another process."""
        self._wanted.discard(room)
        entry = self._held.pop(room, None)
        if entry is not None:
            await self._release(entry[0])

    async def release_all(self) -> None:
        """Release every lease held (a rolling restart: the rooms move at once)."""
        self._wanted.clear()
        held, self._held = self._held, {}
        for lease, _ in held.values():
            await self._release(lease)

    async def run(self) -> None:
        """Keep the leases until cancelled."""
        while True:
            await self.round()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    async def round(self) -> None:
        """One pass: renew what is held, take what is wanted and has been free a while.

        Every held lease is renewed in one Redis round trip, and the free rooms looked at in
        one more: a round lasts as long with 500 rooms as with one, so a busy event loop
        (each round trip waiting its turn behind every room's work) cannot stretch it past
        the leases' time (session 15: rooms moved under load, one renewal a room in a row).

        Redis unreachable changes nothing here: nobody can be granted a lease meanwhile,
        so the rooms stay where they are (their services' writes are refused once a lease's
        time has run, see `held`), and the next round that reaches Redis sorts it out."""
        wanted = sorted(self._wanted)
        held = [(room, self._held[room]) for room in wanted if room in self._held]
        free = [room for room in wanted if room not in self._held]
        try:
            await self._renew_all(held)
            values = await self.leases.values_of(free)
        except ClusterError as exc:
            log.warning("lease round failed", extra={"rooms": len(wanted), "reason": str(exc)})
            return
        started = self._clock()
        for room, value in zip(free, values, strict=True):
            if self._clock() - started >= self.interval:
                break  # taking rooms (a fence each) must not hold back the next renewals
            try:
                await self._take_free(room, value)
            except ClusterError as exc:
                log.warning("lease round failed", extra={"room": room, "reason": str(exc)})

    async def _renew_all(self, held: list[tuple[str, tuple[Lease, float]]]) -> None:
        # The leases run from when Redis got the renewal, which is after this moment.
        asked = self._clock()
        renewed = await self.leases.renew_all([lease for _, (lease, _) in held])
        for (room, entry), extended in zip(held, renewed, strict=True):
            if room not in self._wanted or self._held.get(room) is not entry:
                continue  # dropped (and released), or taken back by a claim, meanwhile
            if not extended:
                try:
                    await self._renewal_failed(room, entry, asked)
                except ClusterError as exc:
                    log.warning("lease round failed", extra={"room": room, "reason": str(exc)})
            else:
                self._held[room] = (entry[0], asked)

    async def _take_free(self, room: str, value: bytes | str | None) -> None:
        """A wanted room not held here, its lease key holding `value` at this round's look:
        taken at its second sighting free in a row."""
        if room in self._held or room not in self._wanted:
            return  # a claim took it, or it was dropped, while the round looked
        if value is not None:
            Lease.parse(room, value)  # a value pairbook did not write is said so
            self._free.discard(room)
            return
        if room not in self._free:
            self._free.add(room)
            return
        self._free.discard(room)
        asked = self._clock()
        lease_now = await self._acquire(room)
        if lease_now is not None and await self._took(room, lease_now, asked):
            await self._gained(lease_now)

    async def _keep(self, room: str) -> None:
        """Renew the room's lease if held, else take it if it is free (a claim)."""
        entry = self._held.get(room)
        if entry is not None:
            asked = self._clock()
            if await self.leases.renew(entry[0]):
                if room in self._wanted and self._held.get(room) is entry:
                    self._held[room] = (entry[0], asked)
            else:
                await self._renewal_failed(room, entry, asked)
            return
        asked = self._clock()
        lease_now = await self._acquire(room)
        if lease_now is not None and await self._took(room, lease_now, asked):
            await self._gained(lease_now)

    async def _renewal_failed(self, room: str, entry: tuple[Lease, float], asked: float) -> None:
        lease = entry[0]
        if await self._retake(lease, asked):
            return
        # Not when the room was dropped meanwhile, or another call (a round and a claim
        # at once) took the lease back: that one holds it now.
        if self._held.get(room) is entry:
            del self._held[room]
            await self._lost(lease)

    async def _took(self, room: str, lease: Lease, asked: float) -> bool:
        """Keep a lease just taken, unless the room was dropped while it was being taken
        (the store's fence can take a while): that one is given back at once, not left to
        block every other process from the room for its whole time."""
        if room not in self._wanted:
            await self._release(lease)
            return False
        self._held[room] = (lease, asked)
        return True

    async def _acquire(self, room: str) -> Lease | None:
        """Take the room's lease if it is free, and fence the store with its token. A token
        not above the store's fence (Redis lost its counter: restarted empty, so another
        process may have had this very token) moves the counter past the fence, and the
        lease is taken again with the next token."""
        for _ in range(2):
            lease = await self.leases.acquire(room)
            if lease is None or self._fence is None:
                return lease
            try:
                before = await self._fence(room, lease.token)
            except (StoreError, ValueError) as exc:
                log.warning("room lease given back: its fence could not be stored",
                            extra={"room": room, "reason": str(exc)})  # fmt: skip
                await self._release(lease)
                return None
            if before < lease.token:
                return lease
            log.warning("lease counter behind the store's fence: moved past it",
                        extra={"room": room, "token": lease.token, "fence": before})  # fmt: skip
            await self.leases.lift(room, before)
            await self._release(lease)
        return None

    async def _retake(self, held: Lease, asked: float) -> bool:
        """The held lease is gone from Redis (it lost it, or this process was paused past
        its time): take the room again if nobody else had it since, i.e. the grant's token
        is the next after the held one. A later token means another process owned the room
        meanwhile (and let it go): what this process holds of the room is stale (its
        kernel, its services' state), so it is lost here, to be taken and loaded anew."""
        room = held.room
        again = await self._acquire(room)
        if again is None:
            return False
        if again.token != held.token + 1:
            log.warning("room lease lost: another process owned the room meanwhile",
                        extra={"room": room, "token": again.token})  # fmt: skip
            await self._release(again)
            return False
        if await self._took(room, again, asked):  # else dropped meanwhile: nothing lost
            log.warning("room lease taken again", extra={"room": room, "token": again.token})
        return True

    async def _release(self, lease: Lease) -> None:
        try:
            await self.leases.release(lease)
        except ClusterError as exc:
            log.warning("lease not released", extra={"room": lease.room, "reason": str(exc)})
