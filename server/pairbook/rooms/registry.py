"""Rooms: the open rooms of a server, each loaded once, saved, snapshotted and unloaded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from pairbook.errors import NotebookError, RoomError
from pairbook.kernel import KernelSessions
from pairbook.kernel.confine import Confinement
from pairbook.kernel.runner import COMMANDS as RUNNER_COMMANDS
from pairbook.kernel.runner import Runner
from pairbook.notebook import resolve_notebook_path, room_name_of
from pairbook.notebook.outputs import kernel_name_of
from pairbook.protocol.closecodes import CloseCode
from pairbook.record import Recorder, Replays
from pairbook.rooms.commands import CommandRouter
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.decoding import UpdateDecoder
from pairbook.rooms.filesync import FileSync
from pairbook.rooms.limits import RoomLimits
from pairbook.rooms.loader import load_room
from pairbook.rooms.mobroom import COMMANDS as MOB_COMMANDS
from pairbook.rooms.mobroom import MobRoom
from pairbook.rooms.recording import COMMANDS as RECORDING_COMMANDS
from pairbook.rooms.recording import Recording
from pairbook.rooms.room import PROTECTED_META, Room
from pairbook.store.port import Store
from pairbook.types import RoomId

log = logging.getLogger("pairbook.rooms")


@dataclass(frozen=True, slots=True)
class RoomPolicy:
    """How rooms behave over time."""

    autosave_delay: float = 1.0
    file_poll_interval: float = 2.0
    grace: float = 30.0
    snapshot_every: int = 500
    sync_timeout: float = 15.0
    tick: float = 0.25
    output_limit: int = 1_000_000
    kernel_state: bool = True  # probe the namespace after runs and share the view
    keep_kernels: bool = False  # True: a room with a live kernel stays loaded when empty
    checkpoint_every: int = 1000  # log records between two replay checkpoints
    awareness_interval: float = 1.0  # seconds between two recorded presences of a connection
    retention: float | None = None  # seconds of recorded history kept; None: all
    confinement: Confinement | None = None  # how kernels are fenced in; None: not at all
    limits: RoomLimits = field(default_factory=RoomLimits)
    max_notebook_bytes: int | None = None  # larger notebook files are not opened


@dataclass(slots=True)
class OpenRoom:
    room: Room
    filesync: FileSync
    runner: Runner
    commands: CommandRouter
    snapshot_seq: int
    recording: Recording | None = None
    task: asyncio.Task[None] | None = None
    runner_task: asyncio.Task[None] | None = None
    mob: MobRoom | None = None
    mob_task: asyncio.Task[None] | None = None


class Rooms:
    """The open rooms of one server process. `async with Rooms(...) as rooms:` owns the
    background task of every room; leaving the block closes peers and flushes everything."""

    def __init__(self, root: Path, store: Store, policy: RoomPolicy) -> None:
        self.root = root
        self.store = store
        self.policy = policy
        self.counters = RoomCounters()
        self.decoder = UpdateDecoder(policy.limits)
        self._open: dict[RoomId, OpenRoom] = {}
        self._loading: dict[RoomId, asyncio.Lock] = {}
        self._group = asyncio.TaskGroup()
        self._closing = False
        self.replays = Replays(store, checkpoint_every=policy.checkpoint_every)

    async def __aenter__(self) -> Self:
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing = True
        for entry in list(self._open.values()):
            await self._shut(entry, CloseCode.GOING_AWAY, "server shutting down; reconnect soon")
        await self._group.__aexit__(exc_type, exc, tb)
        self.decoder.close()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(entry.room for entry in self._open.values())

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
            path = resolve_notebook_path(self.root, room_id)
            room, filesync = await load_room(
                room_id,
                path,
                self.store,
                self.counters,
                sync_timeout=self.policy.sync_timeout,
                decoder=self.decoder,
                max_notebook_bytes=self.policy.max_notebook_bytes,
            )
            runner = Runner(
                room,
                KernelSessions(path.parent, self.policy.confinement),
                kernel_name_of(room.doc),
                output_limit=self.policy.output_limit,
                kernel_state=self.policy.kernel_state,
            )
            commands = CommandRouter()
            commands.add(RUNNER_COMMANDS, runner.command)
            mob = MobRoom(room)
            commands.add(MOB_COMMANDS, mob.command)
            commands.guard(mob.check_command)
            room.command_handler = commands
            recorder = Recorder(
                room_id,
                room.doc,
                self.store,
                lambda: room.last_seq,
                awareness_interval=self.policy.awareness_interval,
                checkpoint_every=self.policy.checkpoint_every,
            )
            await recorder.start()
            room.recorder = recorder
            recording = Recording(
                room, recorder, self.replays.get(room_id), retention=self.policy.retention
            )
            commands.add(RECORDING_COMMANDS, recording.command)
            await recording.start()
            entry = OpenRoom(room, filesync, runner, commands, snapshot_seq=room.last_seq)
            entry.mob = mob
            entry.recording = recording
            self._open[room_id] = entry
            entry.task = self._group.create_task(self._run(entry), name=f"room {room_id}")
            entry.runner_task = self._group.create_task(runner.run(), name=f"kernel {room_id}")
            entry.mob_task = self._group.create_task(mob.run(), name=f"mob {room_id}")
            log.info("room opened", extra={"room": room_id})
            return entry

    async def _run(self, entry: OpenRoom) -> None:
        """A room's life: autosave after a quiet spell, watch the file, unload when empty."""
        room, policy = entry.room, self.policy
        empty_since: float | None = None
        next_poll = time.monotonic() + policy.file_poll_interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(room.changed.wait(), policy.tick)
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # Python 3.11's wait_for can swallow a cancel that races with the event
                # being set; the task is still being cancelled, so stop here.
                raise asyncio.CancelledError
            room.changed.clear()
            if room.lost is not None:
                await self._discard(entry)
                return
            now = time.monotonic()
            try:
                for peer in room.expired_syncs():
                    peer.request_close(
                        CloseCode.SYNC_TIMEOUT,
                        "your client did not send its document state in time; reconnect",
                    )
                # Not while a change is applied but not yet logged: if its log write failed,
                # the file would hold what the log does not (the room then reloads from it).
                quiet = now - room.last_change >= policy.autosave_delay and not room.inflight
                if room.last_change and quiet:
                    room.last_change = 0.0
                    await entry.filesync.save()
                if now >= next_poll:
                    next_poll = now + policy.file_poll_interval
                    await entry.filesync.poll()
                if room.last_seq - entry.snapshot_seq >= policy.snapshot_every:
                    await self._snapshot(entry)
                if entry.recording is not None:
                    await entry.recording.upkeep(entry.snapshot_seq)
            except Exception:
                log.exception("room upkeep failed", extra={"room": room.id})
            if room.peers:
                empty_since = None
            elif empty_since is None:
                empty_since = now
            elif (
                now - empty_since >= policy.grace
                and not room.inflight
                and not (policy.keep_kernels and entry.runner.session.started)
            ):
                await self._unload(entry)
                return

    async def _snapshot(self, entry: OpenRoom) -> None:
        room = entry.room
        if room.inflight:
            return  # an acknowledged-but-unapplied update would be missing from it
        seq = room.last_seq
        # The own-map ranges the snapshot covers are kept beside it (the log after it is
        # scanned for the rest when the room loads).
        await self.store.set_meta(room.id, PROTECTED_META, room.protected.to_json())
        await self.store.save_snapshot(room.id, room.doc.get_update(), seq)
        entry.snapshot_seq = seq

    async def _flush(self, entry: OpenRoom) -> None:
        await entry.room.settle()
        if entry.room.lost is not None:
            return  # its document holds what the log does not: never saved anywhere
        if entry.recording is not None:
            await entry.recording.flush()
        await entry.filesync.save()
        if entry.room.last_seq > entry.snapshot_seq:
            await self._snapshot(entry)

    async def _unload(self, entry: OpenRoom) -> None:
        # Popped before any await: a peer arriving now loads the room afresh from the log.
        self._open.pop(entry.room.id, None)
        await self._stop_kernel(entry)
        await self._flush(entry)
        if entry.recording is not None:
            entry.recording.recorder.unwatch()
        log.info("room unloaded", extra={"room": entry.room.id})

    async def _discard(self, entry: OpenRoom) -> None:
        """Drop a room whose document no longer matches its log: nothing of the document is
        saved (neither file nor snapshot); the next join reloads the room from the log."""
        room = entry.room
        if self._open.get(room.id) is entry:
            self._open.pop(room.id)
        await self._stop_kernel(entry)
        if entry.recording is not None:
            entry.recording.recorder.unwatch()
            try:
                await entry.recording.flush()
            except Exception:
                log.exception("recording flush of a lost room failed", extra={"room": room.id})
        log.error("room discarded; it reloads from its log", extra={"room": room.id})

    async def _shut(self, entry: OpenRoom, code: CloseCode, reason: str) -> None:
        for peer in list(entry.room.peers):
            peer.request_close(code, reason)
        if entry.task is not None:
            entry.task.cancel()
        await self._stop_kernel(entry)
        try:
            await self._flush(entry)
        except Exception:
            log.exception("flush on shutdown failed", extra={"room": entry.room.id})
        self._open.pop(entry.room.id, None)

    async def _stop_kernel(self, entry: OpenRoom) -> None:
        if entry.mob_task is not None:  # the mob timer stops with the room, like the kernel
            entry.mob_task.cancel()
        if entry.runner_task is not None:
            entry.runner_task.cancel()
        try:
            await entry.runner.close()
        except Exception:
            log.exception("kernel shutdown failed", extra={"room": entry.room.id})

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
            await self._flush(entry)
        return len(peers)

    async def flush_all(self) -> None:
        for entry in list(self._open.values()):
            await self._flush(entry)
