"""Rooms: the open rooms of a server, each loaded once, saved, snapshotted and unloaded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from pairbook.auth import User
from pairbook.broker.lockwait import waited_lock
from pairbook.broker.port import Broker
from pairbook.errors import ClusterError, NotebookError, RoomError, is_failure
from pairbook.kernel.kept import KeptKernels
from pairbook.notebook import resolve_notebook_path, room_name_of
from pairbook.protocol.closecodes import CloseCode
from pairbook.record import Replays
from pairbook.record.service import RecordingService
from pairbook.rooms import unloading
from pairbook.rooms.beat import Beats
from pairbook.rooms.commits import MOVED
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.decoding import UpdateDecoder
from pairbook.rooms.diskwatch import DiskLooks, DiskWatch
from pairbook.rooms.feed import subscribe_feed
from pairbook.rooms.filesync import FileSync
from pairbook.rooms.handle import ServiceHandle
from pairbook.rooms.lateness import Lateness
from pairbook.rooms.loader import load_room
from pairbook.rooms.mismatch import MismatchBound
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.ownership import Ownership
from pairbook.rooms.policy import RoomPolicy
from pairbook.rooms.protected import ProtectedRanges
from pairbook.rooms.room import Room
from pairbook.rooms.saving import Saves
from pairbook.rooms.signals import Vouch
from pairbook.rooms.upkeep import rest, upkeep
from pairbook.service import RoomService
from pairbook.store.port import Store
from pairbook.types import RoomId

if TYPE_CHECKING:
    from pairbook.rooms.services import ServiceFactory

log = logging.getLogger("pairbook.rooms")
OPEN_ATTEMPTS = 3  # loads of a room whose ownership moves during each, then it is refused


class Rooms:
    """The open rooms of one server process. `async with Rooms(...) as rooms:` owns the
    background task of every room; leaving the block closes peers and flushes everything."""

    def __init__(
        self,
        root: Path,
        store: Store,
        policy: RoomPolicy,
        *,
        services: Sequence[ServiceFactory] | None = None,
        broker: Broker | None = None,
        ownership: Ownership | None = None,
        profiles: Callable[[], Mapping[str, User]] = dict,
    ) -> None:
        # Imported here: `python -m pairbook.rooms.services` runs that module as __main__.
        from pairbook.rooms.services import FOLLOWER_SERVICES, ROOM_SERVICES

        self.root = root
        self.store = store
        self.policy = policy
        self.broker = broker  # None: this process alone holds its rooms
        self.lateness = Lateness()  # how late the other processes' entries come, for gaps
        self.ownership = ownership  # None: this process runs every room's services
        # Everyone's name and email by user id (the token file): the owner's summary.
        self.profiles = profiles
        self.vouch: Vouch | None = None  # checks the members other processes announce
        self.services = tuple(ROOM_SERVICES if services is None else services)
        self.followers = tuple(FOLLOWER_SERVICES)  # a room's services where another owns it
        self.counters = RoomCounters()
        self.mismatches = MismatchBound()  # rooms lost again and again to unappliable updates
        # What each room refused after applying it (rooms/receiver.py), kept across reloads.
        self._refusals: dict[RoomId, tuple[frozenset[int], ProtectedRanges]] = {}
        self.decoder = UpdateDecoder(policy.limits)
        self._open: dict[RoomId, OpenRoom] = {}
        self._loading: dict[RoomId, asyncio.Lock] = {}
        self._group = asyncio.TaskGroup()
        self._closing = False
        self.replays = Replays(store, checkpoint_every=policy.checkpoint_every)
        self.kept = KeptKernels()  # the live kernels of unloaded rooms
        self._culling: asyncio.Task[None] | None = None
        self.disk = DiskWatch(policy.file_poll_interval, policy.tick)  # every room's file looks
        self._watching: asyncio.Task[None] | None = None
        self.beats = Beats(policy.tick)  # each room's wake-ups on a phase of its own
        self.saves = Saves(policy.saves_at_once)  # the autosaves running at once

    async def __aenter__(self) -> Self:
        await self._group.__aenter__()
        watch = self.kept.watch(self.policy.cull_idle_after)
        self._culling = self._group.create_task(watch, name="kept kernels")
        looks = self.disk.run(self._looks)
        self._watching = self._group.create_task(looks, name="disk looks")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing = True
        # All at once, the open rooms' kernels and the kept ones: a kernel's shutdown is
        # mostly waiting for its process to end. Every room is shut (and saved) even if
        # another's shutdown failed; then that raises.
        reason = "server shutting down; reconnect soon"
        shut = [self._shut(entry, CloseCode.GOING_AWAY, reason) for entry in self._open.values()]
        for failed in await asyncio.gather(*shut, self.kept.close(), return_exceptions=True):
            if isinstance(failed, BaseException):
                raise failed
        for task in (self._culling, self._watching):
            if task is not None:
                task.cancel()
        await self._group.__aexit__(exc_type, exc, tb)
        self.decoder.close()

    def __iter__(self) -> Iterator[Room]:
        return iter([entry.room for entry in self._open.values()])

    def key(self, name: str) -> RoomId:
        """The room a notebook name opens: its real path under the root (a symlink and its
        target are one room). Raises NotebookError for a name no room may have."""
        return RoomId(room_name_of(self.root, name))

    def get(self, room_id: RoomId) -> OpenRoom | None:
        try:
            entry = self._open.get(self.key(room_id))
        except NotebookError:
            return None
        return entry if entry is not None and entry.room.lost is None else None

    async def open(self, room_id: RoomId) -> OpenRoom:
        """The open room for a notebook path, loading it on first use."""
        if self._closing:
            raise RoomError("the server is shutting down; reconnect in a moment")
        room_id = self.key(room_id)
        entry = self._open.get(room_id)
        if entry is not None and entry.room.lost is None:
            return entry
        lock = self._loading.setdefault(room_id, asyncio.Lock())
        async with lock:
            entry = self._open.get(room_id)
            if entry is not None and entry.room.lost is None:
                return entry
            if entry is not None:  # lost: its own task winds it down; a fresh one loads
                self._open.pop(room_id, None)
                self.mismatches.note(entry.room)
                self._refusals[room_id] = entry.room.sync.refusals
            # Refused (ClusterError) before this process competes for the room's ownership:
            # its joiner gets 1011 with the reason, an HTTP caller 503 (app/errors.py); a
            # process that owned the room dropped its lease as the lost room was discarded
            # (_let_go), so another process runs its services; logged once (MismatchBound).
            self.mismatches.check(room_id)
            path = resolve_notebook_path(self.root, room_id)
            try:
                entry = await self._load_as_held(room_id, path)
            except BaseException:  # not open here: not competed for (or owned) here either
                if self.ownership is not None:
                    await self.ownership.drop(room_id)
                raise
            if room_id in self._refusals:  # what it refused before a reload stays refused
                entry.room.sync.inherit(self._refusals[room_id])
            self._open[room_id] = entry
            entry.task = self._group.create_task(self._life(entry), name=f"room {room_id}")
            # A service may be wanted after its room closed: its loop is not started then.
            entry.start_services(self._group, lambda: self._live(entry))
            log.info("room opened", extra={"room": room_id})
            return entry

    async def _load_as_held(self, room_id: RoomId, path: Path) -> OpenRoom:
        """The room loaded as the keeper holds its lease once loaded (not `owns()`: a late
        renewal reads False): a lease taken or lost during the load (a long log, the build
        lock) was told to `moved` with nothing open, and the room ran the other way for good
        (taken: no services, every command "moving"; lost: its services here)."""
        for _ in range(OPEN_ATTEMPTS):
            owned = self.ownership is None or await self.ownership.claim(room_id)
            room, filesync, services = await self._load(room_id, path, owned)
            entry = OpenRoom(room, filesync, services, room.last_seq, owned=owned)
            if self.ownership is None or self.ownership.holds(room_id) == owned:
                return entry
            log.warning("room moved while it loaded; loading it again", extra={"room": room_id})
            await self._drop(entry, keep_kernel=False)  # never open: nobody saw it
        raise ClusterError(f"room {room_id!r} is moving between server processes; reconnect")

    async def _load(
        self, room_id: RoomId, path: Path, owned: bool
    ) -> tuple[Room, FileSync, list[RoomService]]:
        """Load a room and attach its services (with a broker, its feed subscribed first and
        attached before them). On failure nothing of it is left: no feed applying the other
        processes' updates, no files lease, no started service, no pending task."""
        feed = await subscribe_feed(self.broker, self.store, room_id, lateness=self.lateness)
        if feed is not None:
            feed.signals.vouch = self.vouch
        filesync: FileSync | None = None
        try:
            room, filesync = await load_room(
                room_id,
                path,
                self.store,
                self.counters,
                sync_timeout=self.policy.sync_timeout,
                decoder=self.decoder,
                max_notebook_bytes=self.policy.max_notebook_bytes,
                files=self.policy.files,
                root=self.root,
                reconcile=feed is None or feed.files_held,
                building=None
                if feed is None
                else partial(waited_lock, feed.broker, room_id, "build"),
                log_base_later=feed is None,
                emails=owned,  # only the owner writes an old log's `mob` map without them
            )
            if feed is not None:
                await feed.attach(room, filesync)
            room.ownership = self.ownership  # on its owner only, a room has its services:
            services = await self._attach(room, path, self.services if owned else self.followers)
        except BaseException:
            if filesync is not None:
                await filesync.close()
            if feed is not None:
                await feed.close()
            raise
        return room, filesync, services

    def _looks(self) -> list[tuple[DiskLooks, FileSync]]:
        return [(e.looks, e.filesync) for e in self._open.values() if e.room.lost is None]

    def _live(self, entry: OpenRoom) -> bool:
        return not self._closing and self._open.get(entry.room.id) is entry

    async def _attach(
        self, room: Room, path: Path, factories: Sequence[ServiceFactory]
    ) -> list[RoomService]:
        from pairbook.rooms.services import ServiceContext, attach_services

        handle = ServiceHandle(room)
        context = ServiceContext(
            room, handle, path, self.store, self.replays, self.policy, self.kept, self.profiles
        )
        return await attach_services(context, factories)

    async def _life(self, entry: OpenRoom) -> None:
        """Run a room; a failure is the room's alone (never the task group's, which would
        stop every room): logged, its peers told, the room dropped (the next join reloads it)."""
        try:
            await self._run(entry)
        except BaseException as exc:  # a pycrdt panic too: it would abort every room's task
            if not is_failure(exc):
                raise
            log.error(
                "room failed; it reloads from its log", exc_info=exc, extra={"room": entry.room.id}
            )
            for peer in list(entry.room.peers):
                peer.request_close(CloseCode.INTERNAL_ERROR, "the room failed; reconnect")
            await self._drop(entry, keep_kernel=False)

    async def _run(self, entry: OpenRoom) -> None:
        """A room's life: autosave after a quiet spell, watch the file, unload when empty."""
        room, policy = entry.room, self.policy
        empty_since: float | None = None
        keepalive_due = time.monotonic() + policy.keepalive
        loop = asyncio.get_running_loop()
        beat = self.beats.beat(loop.time())
        recording = entry.find(RecordingService)  # looked up once: the tick is hot
        while True:
            # On the room's own slot (rooms/beat.py), every tick or fewer (rooms/upkeep.py).
            await room.changed.wait_until(beat.due)
            room.changed.clear()
            beat.advance(loop.time())
            if room.lost is not None:
                await self._discard(entry)
                return
            now = time.monotonic()
            keepalive = now >= keepalive_due  # nobody waits 30 s without hearing from the room
            if keepalive:
                keepalive_due = now + policy.keepalive
            await upkeep(
                entry, self.store, policy, recording, now, keepalive=keepalive, saves=self.saves
            )
            beat.rest(rest(entry, recording, policy, time.monotonic(), keepalive_due), loop.time())
            if room.peers or (entry.owned and room.feed is not None and room.feed.signals.present):
                empty_since = None  # the owner stays for members on other processes too
            elif empty_since is None:
                empty_since = now
            elif (
                now - empty_since >= policy.unload_delay
                and not self._closing  # a draining server stops its rooms itself, kernels too
                and not room.inflight
                and not unloading.kernel_busy(entry)  # its outputs go into this document
                and not (policy.keep_kernels and unloading.kernel_started(entry))
            ):
                await self._unload(entry)
                return

    async def _unload(self, entry: OpenRoom) -> None:
        # Popped and the kernel kept before any await: a peer arriving now reloads the room.
        self._open.pop(entry.room.id, None)
        unloading.keep_idle_kernel(entry, self.kept)
        await unloading.stop_kernel(entry)
        await unloading.flush(entry, self.store)
        await unloading.close_others(entry)
        await self._let_go(entry.room.id)
        log.info("room unloaded", extra={"room": entry.room.id})

    async def _discard(self, entry: OpenRoom) -> None:
        """Drop a room whose document no longer matches its log, saving nothing of it (no
        file, no snapshot): the next join reloads the room from the log."""
        room = entry.room
        self.mismatches.note(room)
        self._refusals[room.id] = room.sync.refusals
        # Lost to a newer owner, the kernel is theirs: let go (a gateway's lives on), not kept.
        await self._drop(entry, keep_kernel=room.lost != MOVED)
        recording = entry.find(RecordingService)
        if recording is not None:
            try:
                await recording.flush()
            except BaseException as exc:
                if not is_failure(exc):
                    raise
                log.error(
                    "recording flush of a lost room failed", exc_info=exc, extra={"room": room.id}
                )
        log.error("room discarded; it reloads from its log", extra={"room": room.id})

    async def _drop(self, entry: OpenRoom, *, keep_kernel: bool) -> None:
        """Take a room out of the open ones (popped before any await: a peer arriving now
        loads it afresh) and stop its kernel (or keep it), its feed and its services."""
        if self._open.get(entry.room.id) is entry:
            self._open.pop(entry.room.id)
            if keep_kernel:
                unloading.keep_idle_kernel(entry, self.kept)
        await unloading.stop_kernel(entry)
        await unloading.close_others(entry)
        await self._let_go(entry.room.id)

    async def _let_go(self, room_id: RoomId) -> None:
        """Stop competing for a room's ownership once it is not open here (else this process
        kept renewing, or took, the lease of a room it does not hold: every command another
        process forwarded was answered "moving"); not while it opens again meanwhile."""
        lock = self._loading.get(room_id)
        if self.ownership is None or room_id in self._open or (lock is not None and lock.locked()):
            return
        await self.ownership.drop(room_id)

    async def close_room(self, room_id: RoomId, code: CloseCode, reason: str) -> None:
        """Close a room's peers and unload it now (its owner changed: they reconnect)."""
        entry = self._open.pop(room_id, None)  # a peer arriving now opens it afresh
        if entry is not None:
            await self._shut(entry, code, reason)

    async def _shut(self, entry: OpenRoom, code: CloseCode, reason: str) -> None:
        for peer in list(entry.room.peers):
            peer.request_close(code, reason)
        if entry.task is not None:
            entry.task.cancel()
        await unloading.stop_kernel(entry)
        try:
            await unloading.flush(entry, self.store)
        except BaseException as exc:
            if not is_failure(exc):
                raise
            log.error("flush on shutdown failed", exc_info=exc, extra={"room": entry.room.id})
        if self._open.get(entry.room.id) is entry:
            self._open.pop(entry.room.id)
        if entry.room.feed is not None:
            await entry.room.feed.close()
        await entry.filesync.close()

    async def drain(self, reason: str = "server shutting down; reconnect soon") -> int:
        """Close every peer with going-away, wait (briefly) for the closes to go out, save
        every room and snapshot it. New peers are refused from now on. Returns peers closed."""
        self._closing = True
        peers = [peer for entry in self._open.values() for peer in entry.room.peers]
        for peer in peers:
            peer.request_close(CloseCode.GOING_AWAY, reason)
        deadline = time.monotonic() + 5.0
        for entry in list(self._open.values()):
            while entry.room.peers and time.monotonic() < deadline:
                entry.room.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(entry.room.changed.wait(), 0.1)
            await unloading.flush(entry, self.store)
        return len(peers)

    async def flush_all(self) -> None:
        for entry in list(self._open.values()):
            await unloading.flush(entry, self.store)
