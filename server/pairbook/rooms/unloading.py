"""Unloading: what an open room needs as it leaves this process (or shuts): its changes
saved (recording, file, snapshot), its kernel kept for the room's next load or shut down,
its other services closed. `Rooms` (rooms/registry.py) decides when."""

from __future__ import annotations

import base64
import logging

from pairbook.kernel.kept import KeptKernels
from pairbook.kernel.service import KernelService
from pairbook.record.service import RecordingService
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.room import PROTECTED_META, WAITING_META
from pairbook.store.port import Store

log = logging.getLogger("pairbook.rooms")


async def save_snapshot(entry: OpenRoom, store: Store) -> None:
    room = entry.room
    if room.inflight:
        return  # an acknowledged-but-unapplied update would be missing from it
    seq = room.last_seq
    # The own-map ranges it covers are kept with it (the log after it: scanned at load),
    # written only if it is: a late, older snapshot must not take the newer one's ranges.
    # So are the structs waiting in the document (Room.waiting): a document's encoding
    # leaves them out, and the room loads from the snapshot and the records after it, so
    # the snapshot holds them too, and the meta says which of its structs wait.
    waiting = room.waiting.update
    meta = {
        PROTECTED_META: room.protected.to_json(),
        WAITING_META: "" if waiting is None else base64.b64encode(waiting).decode("ascii"),
    }
    await store.save_snapshot(room.id, room.waiting.encode(room.doc), seq, meta=meta)
    entry.snapshot_seq = seq


async def flush(entry: OpenRoom, store: Store) -> None:
    """Save what a room holds: its recording, its file, a snapshot (if the log grew)."""
    await entry.room.settle()
    if entry.room.lost is not None:
        return  # its document holds what the log does not: never saved anywhere
    recording = entry.find(RecordingService)
    if recording is not None:
        await recording.flush()
    try:
        await entry.filesync.save()
    except Exception:  # the log holds every change: the room still unloads and closes
        log.exception("saving the notebook file failed", extra={"room": entry.room.id})
    if entry.room.last_seq > entry.snapshot_seq:
        await save_snapshot(entry, store)


def keep_idle_kernel(entry: OpenRoom, kept: KeptKernels) -> None:
    """A room unloads: its live, idle kernel is kept for the room's next load (the
    services' loops stop now; a kernel mid-run is shut down with the room)."""
    for task in entry.tasks:
        task.cancel()
    kernel = entry.find(KernelService)
    if kernel is None or kernel.busy:
        return
    detached = kernel.detach()
    if detached is not None:
        kept.keep(entry.room.id, detached)
    entry.services.remove(kernel)


async def stop_kernel(entry: OpenRoom) -> None:
    """Stop the services' loops (the mob timer stops with the room) and shut the
    kernel down, unless it was kept."""
    for task in entry.tasks:
        task.cancel()
    kernel = entry.find(KernelService)
    if kernel is None:
        return
    try:
        await kernel.close()
    except Exception:
        log.exception("kernel shutdown failed", extra={"room": entry.room.id})


async def close_others(entry: OpenRoom) -> None:
    """Close the feed, the file sync and every service but the kernel (stopped first): the
    recording stops watching the document once its last events are flushed."""
    if entry.room.feed is not None:
        await entry.room.feed.close()
    await entry.filesync.close()
    for service in entry.services:
        if not isinstance(service, KernelService):
            try:
                await service.close()
            except Exception:
                log.exception("service close failed", extra={"room": entry.room.id})


def kernel_busy(entry: OpenRoom) -> bool:
    kernel = entry.find(KernelService)
    return kernel is not None and kernel.busy


def kernel_started(entry: OpenRoom) -> bool:
    kernel = entry.find(KernelService)
    return kernel is not None and bool(kernel.runner.session.started)
