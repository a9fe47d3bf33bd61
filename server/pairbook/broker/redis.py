"""RedisBroker: one Redis stream per room (the y-redis model), shared by every process.

- Publishing appends entries (XADD) in order from one background task, in pipelined batches;
  each XADD trims the stream to the last `window` seconds (MINID ~): every entry is in the
  log before it is appended, so the stream only serves readers that lag.
- One reader task per process reads every held room's stream in batches (XREAD BLOCK) from
  the position fixed when the room was subscribed, plus this process's wake-up stream, so a
  room subscribed meanwhile is read at once.
- Redis unreachable: entries wait in an outbox bounded in entries and bytes (awareness is
  dropped: it is renewed every 15 s), the reader retries with capped exponential backoff;
  once it is back every room's position is fixed anew and its subscriber told it `missed`
  entries (it reads the log from the store), and updates given up on go out as markers.
- Claims (HSETNX) and locks (SET NX PX, released by token) are single Redis commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from pairbook.broker.entries import decode_entry, encode_entry
from pairbook.broker.loops import Loops, let_finish
from pairbook.broker.outbox import OUTBOX_BYTES, OUTBOX_ENTRIES, Outbox
from pairbook.broker.port import BrokerStats, DocEntry, Entry, PresenceEntry, Subscriber
from pairbook.errors import BrokerError

log = logging.getLogger("pairbook.broker")

CLAIMS_TTL = 7 * 86400  # seconds a room's claims outlive their last use
LOCK_TTL_MS = 60_000
HOLD = """
local holder = redis.call('get', KEYS[1])
if holder == false then return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) and 1 or 0 end
if holder == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end
return 0
"""
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def split_prefix(url: str) -> tuple[str, str]:
    """(the URL without pairbook's `prefix` query parameter, the key prefix)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for key, value in query if key == "prefix"), "pairbook:")
    rest = urlencode([(key, value) for key, value in query if key != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix


class RedisBroker:
    """The `Broker` port on a Redis server (see the module's docstring)."""

    def __init__(
        self,
        url: str,
        *,
        origin: str | None = None,
        window: float = 60.0,
        outbox_limit: int = OUTBOX_ENTRIES,
        outbox_bytes: int = OUTBOX_BYTES,
        batch: int = 512,
        block: float = 5.0,
        idle_expiry: float = 600.0,
    ) -> None:
        self.url, self.prefix = split_prefix(url)
        self.origin = origin or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._window_ms = int(window * 1000)
        self._batch = batch
        self._block_ms = int(block * 1000)
        self._closing = False
        self._expiry_ms = int(idle_expiry * 1000)
        self._subscribers: dict[str, Subscriber] = {}
        self._positions: dict[str, bytes | None] = {}  # room -> last stream id read
        self._keys: dict[str, bytes] = {}  # room -> its stream's key, encoded
        self._outbox = Outbox(self._give_up, limit=outbox_limit, max_bytes=outbox_bytes)
        self._markers: dict[str, int] = {}  # room -> newest seq given up on
        self._work = asyncio.Event()
        self._refix = False  # positions must be fixed anew (the reader lost Redis)
        self._woken: bytes = b"0-0"  # the last wake-up entry read
        self._loops = Loops(log)
        self._redis: Redis | None = None
        self._reader: Redis | None = None
        self._counts = {"published": 0, "delivered": 0, "dropped": 0, "reconnects": 0}
        self._connected = True

    # -- life ----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        options: dict[str, Any] = {"socket_connect_timeout": 2.0, "socket_keepalive": True}
        self._redis = Redis.from_url(self.url, socket_timeout=5.0, **options)
        # The reader's XREAD blocks up to `block`: its socket must wait longer than that.
        self._reader = Redis.from_url(self.url, socket_timeout=self._block_ms / 1000 + 5, **options)
        try:
            await self._redis.ping()
        except RedisError as exc:  # started anyway: rooms work alone until Redis is back
            log.warning("broker unreachable at start", extra={"reason": str(exc)})
        self._loops.start("broker publisher", self._publish_loop, restarted=self._work.set)
        # A reader that died may have dropped entries: every room reads the log once it is back.
        self._loops.start("broker reader", self._read_loop, restarted=self._lost_track)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # The reader's blocking XREAD is let finish (cancelled half way, redis-py on Python
        # 3.11 can go on waiting on its socket for ever): woken now, it reads without
        # blocking from here on, until the stop reaches it.
        self._closing = True
        with contextlib.suppress(RedisError, OSError, TimeoutError, BrokerError):
            await asyncio.wait_for(self._wake(), 1.0)
        await self._loops.stop()
        # What waits goes out (a process shutting down hands its last entries on).
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            await asyncio.wait_for(self._drain(), 2.0)
        for client in (self._redis, self._reader):
            if client is not None:
                await client.aclose()

    async def _drain(self) -> None:
        while self._outbox or self._markers:
            await self._append(self._take_batch())

    # -- keys ----------------------------------------------------------------------------

    def stream_key(self, room: str) -> str:
        return f"{self.prefix}room:{room}"

    def _wake_key(self) -> str:
        return f"{self.prefix}wake:{self.origin}"

    @property
    def _client(self) -> Redis:
        if self._redis is None:
            raise BrokerError("the broker is not open; use `async with open_broker(url)`")
        return self._redis

    # -- subscribing ---------------------------------------------------------------------

    async def subscribe(self, room: str, subscriber: Subscriber) -> None:
        self._subscribers[room] = subscriber
        try:
            self._positions[room] = await self._last_id(room)
            await self._wake()
        except RedisError as exc:
            log.warning("broker unreachable", extra={"room": room, "reason": str(exc)})
            self._positions[room] = None
            self._refix = True  # fixed, and the room told it missed entries, once it is back

    async def _wake(self) -> None:
        """Make the reader's blocking XREAD return now."""
        await self._client.xadd(self._wake_key(), {b"w": b"1"}, maxlen=1)
        await self._client.expire(self._wake_key(), 60)

    def unsubscribe(self, room: str, subscriber: Subscriber) -> None:
        if self._subscribers.get(room) is subscriber:
            del self._subscribers[room]
            self._positions.pop(room, None)
            self._keys.pop(room, None)

    async def _last_id(self, room: str) -> bytes:
        newest = await self._client.xrevrange(self.stream_key(room), count=1)
        entry_id: Any = newest[0][0] if newest else b"0-0"
        return bytes(entry_id)

    # -- reading -------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        backoff = 0.05
        while True:
            try:
                if self._refix:
                    await self._fix_positions()
                reply = await self._read()
            except (RedisError, OSError) as exc:
                self._lost(exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = 0.05
            self._connected = True
            for key, messages in reply:
                self._take(key.decode(), messages)

    async def _read(self) -> list[Any]:
        assert self._reader is not None
        # The wake-up stream is read from its last entry read, not "$": a wake-up sent before
        # this XREAD reached the server (a room subscribed meanwhile) must not be missed.
        # Keys as bytes, each encoded once: redis-py encodes a str argument on every call,
        # and this call names every held room (a third of its client CPU at 500 rooms).
        streams: dict[Any, Any] = {self._wake_key(): self._woken}
        keys = self._keys
        for room, position in self._positions.items():
            if position is not None:
                key = keys.get(room)
                if key is None:
                    key = keys[room] = self.stream_key(room).encode()
                streams[key] = position
        block = None if self._closing else self._block_ms
        # Cancelled, the read is let finish: woken (see __aexit__), at once.
        reply = await let_finish(self._reader.xread(streams, count=self._batch, block=block))
        return list(reply or [])

    def _take(self, key: str, messages: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        if key == self._wake_key():
            self._woken = bytes(messages[-1][0]) if messages else self._woken
            return
        room = key.removeprefix(f"{self.prefix}room:")
        subscriber = self._subscribers.get(room)
        if subscriber is None or not messages:
            return
        self._positions[room] = bytes(messages[-1][0])
        entries: list[Entry] = []
        for _, fields in messages:
            try:
                origin, entry = decode_entry(fields)
            except BrokerError as exc:
                log.error("unreadable broker entry", extra={"room": room, "reason": str(exc)})
                subscriber.missed()
                continue
            if origin != self.origin:
                entries.append(entry)
        if entries:
            self._counts["delivered"] += len(entries)
            try:
                subscriber.deliver(entries)
            except Exception:  # one room's failure must not stop every room's entries
                log.exception("a room failed to take broker entries", extra={"room": room})
                subscriber.missed()

    def _lost_track(self) -> None:
        self._refix = True

    def _lost(self, exc: BaseException) -> None:
        if self._connected:
            log.warning("broker connection lost; retrying", extra={"reason": str(exc)})
            self._counts["reconnects"] += 1
        self._connected = False
        self._refix = True

    async def _fix_positions(self) -> None:
        """Back after an outage: read each room from the stream's end from now on, and have
        it read what it missed from the log (fixed first, read after: no gap)."""
        for room in list(self._subscribers):
            self._positions[room] = await self._last_id(room)
        self._refix = False
        log.info("broker connection back", extra={"rooms": len(self._subscribers)})
        for subscriber in list(self._subscribers.values()):
            subscriber.missed()
        self._work.set()  # the outbox may wait for it

    # -- publishing ----------------------------------------------------------------------

    def publish(self, room: str, entry: Entry) -> None:
        if isinstance(entry, PresenceEntry) and not self._connected:
            self._counts["dropped"] += 1  # renewed by its client within 15 s
            return
        self._outbox.append(room, entry)
        self._work.set()

    def _give_up(self, room: str, entry: Entry) -> None:
        self._counts["dropped"] += 1
        if isinstance(entry, DocEntry):
            self._markers[room] = max(entry.seq, self._markers.get(room, 0))

    async def _publish_loop(self) -> None:
        backoff = 0.05
        while True:
            await self._work.wait()
            self._work.clear()
            while self._outbox or self._markers:
                batch = self._take_batch()
                try:
                    await self._append(batch)
                except Exception as exc:
                    if not isinstance(exc, RedisError | OSError):
                        for room, entry in batch:  # the others read these from the log
                            self._give_up(room, entry)
                        raise
                    self._lost(exc)
                    self._outbox.put_back(batch)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    continue
                backoff = 0.05
                self._counts["published"] += len(batch)

    def _take_batch(self) -> list[tuple[str, Entry]]:
        batch: list[tuple[str, Entry]] = [
            (room, DocEntry(seq, b"", "", ())) for room, seq in self._markers.items()
        ]
        self._markers.clear()
        while self._outbox and len(batch) < self._batch:
            batch.append(self._outbox.popleft())
        return batch

    async def _append(self, batch: list[tuple[str, Entry]]) -> None:
        minid = max(0, int(time.time() * 1000) - self._window_ms)
        pipe = self._client.pipeline(transaction=False)
        for room, entry in batch:
            fields: Any = encode_entry(entry, self.origin)
            pipe.xadd(self.stream_key(room), fields, minid=minid, approximate=True)
        for room in {room for room, _ in batch}:  # a room nobody writes to goes away
            pipe.pexpire(self.stream_key(room), self._expiry_ms)
        await pipe.execute()

    # -- claims and locks ----------------------------------------------------------------

    async def claim(self, room: str, client_id: int, user_id: str) -> str:
        key = f"{self.prefix}claims:{room}"
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.hsetnx(key, str(client_id), user_id)
            pipe.hget(key, str(client_id))
            pipe.expire(key, CLAIMS_TTL)
            _, owner, _ = await pipe.execute()
        except RedisError as exc:
            raise BrokerError(
                f"the broker cannot be reached to claim a Yjs client id ({exc}); reconnect "
                "in a moment"
            ) from None
        return bytes(owner).decode()

    @contextlib.asynccontextmanager
    async def lock(self, room: str, name: str) -> AsyncIterator[bool]:
        key = f"{self.prefix}lock:{room}:{name}"
        token = secrets.token_hex(16)
        try:
            ours = bool(await self._client.set(key, token, nx=True, px=LOCK_TTL_MS))
        except RedisError as exc:
            log.warning("broker lock unavailable", extra={"room": room, "reason": str(exc)})
            ours = False
        try:
            yield ours
        finally:
            if ours:
                with contextlib.suppress(RedisError):  # it expires anyway
                    await self._client.eval(RELEASE, 1, key, token)

    async def hold(self, room: str, name: str, ttl: float) -> bool:
        key = f"{self.prefix}lease:{room}:{name}"
        try:
            held = await self._client.eval(HOLD, 1, key, self.origin, int(ttl * 1000))
        except RedisError as exc:
            log.warning("broker lease unavailable", extra={"room": room, "reason": str(exc)})
            return False
        return bool(held)

    async def release(self, room: str, name: str) -> None:
        key = f"{self.prefix}lease:{room}:{name}"
        with contextlib.suppress(RedisError):  # it expires anyway
            await self._client.eval(RELEASE, 1, key, self.origin)

    async def holder(self, room: str, name: str) -> str | None:
        try:
            held = await self._client.get(f"{self.prefix}lease:{room}:{name}")
        except RedisError as exc:
            raise BrokerError(f"the broker cannot be reached ({exc}); try again") from None
        if held is None:
            return None
        return held.decode(errors="replace") if isinstance(held, bytes) else str(held)

    async def agree(self, name: str, value: str) -> str:
        key = f"{self.prefix}agreed:{name}"
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.set(key, value, nx=True)
            pipe.get(key)
            pipe.expire(key, CLAIMS_TTL)
            _, agreed, _ = await pipe.execute()
        except RedisError as exc:
            raise BrokerError(f"the broker cannot be reached ({exc}); check --broker") from None
        return bytes(agreed).decode()

    def stats(self) -> BrokerStats:
        return BrokerStats(
            published=self._counts["published"],
            delivered=self._counts["delivered"],
            pending=len(self._outbox),
            dropped=self._counts["dropped"],
            reconnects=self._counts["reconnects"],
            connected=self._connected,
        )
