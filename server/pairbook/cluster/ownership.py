"""ClusterOwnership: the room core's `Ownership` port on Redis — leases kept by a
LeaseKeeper, commands carried by a Forwarder."""

from __future__ import annotations

import logging
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from pairbook.broker.loops import Loops
from pairbook.broker.redis import split_prefix
from pairbook.cluster.forward import MAX_ANSWERING, CommandRunner, Forwarder
from pairbook.cluster.keeper import Fence, LeaseKeeper
from pairbook.cluster.lease import Lease, RoomLeases
from pairbook.errors import ClusterError
from pairbook.service import Member
from pairbook.service.port import member_key

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from redis.asyncio import Redis

log = logging.getLogger("pairbook.cluster")

NO_OWNER = "room {room!r} has no owning process right now (it is moving); try again in a moment"


class ClusterOwnership:
    """`async with ClusterOwnership(redis, process) as ownership:` keeps this process's
    leases and answers forwarded commands until the block ends, then hands every room
    over. `bind` the rooms' runner and their `moved` callback before rooms open. `fence`
    is the store's `raise_fence`: a room is owned here only once its token is fenced in."""

    def __init__(
        self,
        redis: Redis,
        process: str,
        *,
        prefix: str = "pairbook:",
        ttl: float = 5.0,
        timeout: float = 10.0,
        max_answering: int = MAX_ANSWERING,
        fence: Fence | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.redis = redis
        self.process = process
        self.leases = RoomLeases(redis, process, prefix=f"{prefix}owner:", ttl=ttl)
        self.forwarder = Forwarder(
            redis, process, self._run, prefix=f"{prefix}owner:", timeout=timeout,
            max_answering=max_answering,
        )  # fmt: skip
        self._fence = fence
        self._clock = clock
        self._runner: CommandRunner | None = None
        self._moved: Callable[[str], Awaitable[None]] | None = None
        self._keeper: LeaseKeeper | None = None
        self._loops = Loops(log)

    @classmethod
    def from_url(cls, url: str, process: str, **options: Any) -> ClusterOwnership:
        """On the broker's Redis (`redis://…?prefix=…`, the broker's keys' prefix)."""
        from redis.asyncio import Redis

        address, prefix = split_prefix(url)
        return cls(Redis.from_url(address), process, prefix=prefix, **options)

    async def __aenter__(self) -> Self:
        self._keeper = LeaseKeeper(
            self.leases, gained=self._changed, lost=self._changed, fence=self._fence,
            clock=self._clock,
        )  # fmt: skip
        self._loops.start("room leases", self._keeper.run)
        self._loops.start("forwarded commands", self.forwarder.run)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._loops.stop()
        if self._keeper is not None:
            await self._keeper.release_all()
        await self.redis.aclose()

    def bind(self, runner: CommandRunner, moved: Callable[[str], Awaitable[None]]) -> None:
        self._runner, self._moved = runner, moved

    @property
    def keeper(self) -> LeaseKeeper:
        if self._keeper is None:
            raise RuntimeError("expected an entered ClusterOwnership, got one not started")
        return self._keeper

    async def claim(self, room: str) -> bool:
        """Whether this process owns the room now; while Redis cannot be reached the room
        opens without its services (its peers edit; commands wait for Redis) and its lease
        is taken at the first round that reaches Redis again."""
        try:
            return await self.keeper.claim(room) is not None
        except ClusterError as exc:
            log.warning("room opened without its owner", extra={"room": room, "reason": str(exc)})
            return False

    def owns(self, room: str) -> bool:
        return self.token(room) is not None

    def holds(self, room: str) -> bool:
        return self._keeper is not None and self._keeper.holds(room)

    def token(self, room: str) -> int | None:
        lease = None if self._keeper is None else self._keeper.held(room)
        return None if lease is None else lease.token

    async def drop(self, room: str) -> None:
        await self.keeper.drop(room)

    async def forward(self, room: str, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        holder = await self.leases.holder_of(room)
        if holder is None:
            raise ClusterError(NO_OWNER.format(room=room))
        return await self.forward_to(holder.holder, room, member, body)

    async def forward_to(
        self, process: str, room: str, member: Member, body: dict[str, Any]
    ) -> dict[str, Any]:
        if process == self.process:
            return await self._run(room, member, body)
        # The owner knows this member by its key qualified with this process (the key the
        # room's signals announce it under): its events find their way back here.
        member = replace(member, key=member_key(self.process, member.key))
        return await self.forwarder.request(process, room, member, body)

    async def _run(self, room: str, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        if self._runner is None:
            raise ClusterError("this server process is starting; try again in a moment")
        return await self._runner(room, member, body)

    async def _changed(self, lease: Lease) -> None:
        if self._moved is not None:
            await self._moved(lease.room)
