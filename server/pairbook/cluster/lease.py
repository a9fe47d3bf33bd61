"""RoomLeases: which process owns a room, granted through Redis with a fencing token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pairbook.errors import ClusterError

if TYPE_CHECKING:
    from redis.asyncio import Redis

# Taking a lease and drawing its token are one step: a token is drawn only by the process
# that got the lease, so tokens of successive owners strictly increase.
_ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if current then return {0, current} end
local token = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. ' ' .. token
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, value}
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# Every lease of one process renewed in one call: a round's cost does not grow with the rooms
# held by one Redis round trip each (500 of those on a busy loop outlasted the lease).
_RENEW_ALL = """
local renewed = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    renewed[i] = redis.call('PEXPIRE', key, ARGV[1])
  else
    renewed[i] = 0
  end
end
return renewed
"""
_LIFT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class Lease:
    """One grant of a room to one process; `token` is larger than every earlier grant's."""

    room: str
    holder: str  # the owning process's id
    token: int

    @property
    def value(self) -> str:
        """What the lease key holds while this grant lasts."""
        return f"{self.holder} {self.token}"

    @classmethod
    def parse(cls, room: str, value: str | bytes) -> Lease:
        text = value.decode() if isinstance(value, bytes) else value
        holder, _, token = text.rpartition(" ")
        if not holder or not token.isdigit():
            raise ClusterError(f"room {room!r} has a lease value pairbook did not write: {text!r}")
        return cls(room, holder, int(token))


class RoomLeases:
    """Leases of rooms for one process (`holder`), each `ttl` seconds unless renewed.

    Keys: `<prefix>lease:<room>` holds "<holder> <token>"; `<prefix>fence:<room>` counts
    the grants. Every method raises ClusterError when Redis cannot be reached."""

    def __init__(self, redis: Redis, holder: str, *, prefix: str = "pairbook:", ttl: float = 5.0):
        if " " in holder or not holder:
            raise ValueError(f"a process id must be a non-empty word, got {holder!r}")
        if ttl <= 0:
            raise ValueError(f"a lease lasts a positive time, got {ttl}")
        self.redis = redis
        self.holder = holder
        self.prefix = prefix
        self.ttl = ttl
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._renew_all = redis.register_script(_RENEW_ALL)
        self._release = redis.register_script(_RELEASE)
        self._lift = redis.register_script(_LIFT)

    def lease_key(self, room: str) -> str:
        return f"{self.prefix}lease:{room}"

    def fence_key(self, room: str) -> str:
        return f"{self.prefix}fence:{room}"

    @property
    def _ttl_ms(self) -> int:
        return max(1, round(self.ttl * 1000))

    async def acquire(self, room: str) -> Lease | None:
        """Take the room's lease if nobody holds it; None when another grant is live."""
        got, value = await self._call(
            self._acquire, [self.lease_key(room), self.fence_key(room)], [self.holder, self._ttl_ms]
        )
        return Lease.parse(room, value) if got == 1 else None

    async def renew(self, lease: Lease) -> bool:
        """Extend the lease by `ttl`; False when it has already expired or moved on."""
        keys = [self.lease_key(lease.room)]
        return bool(await self._call(self._renew, keys, [lease.value, self._ttl_ms]))

    async def renew_all(self, leases: list[Lease]) -> list[bool]:
        """`renew` for each lease, in one round trip: whether each was extended."""
        if not leases:
            return []
        keys = [self.lease_key(lease.room) for lease in leases]
        args = [self._ttl_ms, *(lease.value for lease in leases)]
        return [bool(renewed) for renewed in await self._call(self._renew_all, keys, args)]

    async def release(self, lease: Lease) -> bool:
        """Give the lease up (so another process takes it at once); False if not ours."""
        return bool(await self._call(self._release, [self.lease_key(lease.room)], [lease.value]))

    async def lift(self, room: str, token: int) -> None:
        """Make the room's next grant's token larger than `token` (the store's fence)."""
        await self._call(self._lift, [self.fence_key(room)], [token])

    async def holder_of(self, room: str) -> Lease | None:
        """The room's live grant, or None."""
        value = await self._call(None, [self.lease_key(room)], [])
        return None if value is None else Lease.parse(room, value)

    async def values_of(self, rooms: list[str]) -> list[bytes | str | None]:
        """What each room's lease key holds (`Lease.parse` reads it), in one round trip."""
        if not rooms:
            return []
        from redis.exceptions import RedisError

        try:
            values: list[bytes | str | None] = await self.redis.mget(
                [self.lease_key(room) for room in rooms]
            )
        except RedisError as exc:
            raise ClusterError(f"Redis did not answer ({exc}); check --broker") from exc
        return values

    async def is_current(self, lease: Lease) -> bool:
        """Whether `lease` is still the room's live grant (a check, not a fence: a write
        made after it can still land late; the store's fence is what refuses such writes)."""
        return await self.holder_of(lease.room) == lease

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        from redis.exceptions import RedisError

        try:
            if script is None:
                return await self.redis.get(keys[0])
            return await script(keys=keys, args=args)
        except RedisError as exc:
            raise ClusterError(f"Redis did not answer ({exc}); check --broker") from exc
