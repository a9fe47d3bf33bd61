"""Opening a room: rebuild it from the durable log, or from its .ipynb with a fixed history."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pycrdt import Doc

from pairbook.broker.port import Broker
from pairbook.errors import BrokerError, NotebookError, StoreError
from pairbook.notebook import (
    NotebookFile,
    base_client_ids,
    base_history_of,
    ydoc_to_notebook,
)
from pairbook.notebook.applied import Waiting, apply_update
from pairbook.protocol.redact import without_emails
from pairbook.protocol.update import decode_update
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.decoding import UpdateDecoder
from pairbook.rooms.feed import FILES
from pairbook.rooms.filesync import FILE_RAW, FILE_SHA, FilePolicy, FileSync, sha_of
from pairbook.rooms.filewrite import FILE_NEXT, landed_sha
from pairbook.rooms.protected import ProtectedRanges, protect_structs
from pairbook.rooms.room import PROTECTED_META, WAITING_META, Room
from pairbook.rooms.twinsync import TWIN_SHA, TwinSync
from pairbook.store.port import Store
from pairbook.store.records import RoomLog
from pairbook.types import SERVER_MAPS, SERVER_USER, RoomId

log = logging.getLogger("pairbook.loader")

Building = Callable[[], AbstractAsyncContextManager[object]]
"""A lock across processes, held while a room is built from its notebook file."""

HISTORY_ID = "history_id"


def fresh_client_id(taken: dict[int, str] | set[int]) -> int:
    """A random 32-bit Yjs client id no one in the room has used."""
    while True:
        candidate = secrets.randbits(32)
        if candidate and candidate not in taken:
            return candidate


async def load_room(
    room_id: RoomId,
    path: Path,
    store: Store,
    counters: RoomCounters,
    *,
    sync_timeout: float,
    decoder: UpdateDecoder | None = None,
    max_notebook_bytes: int | None = None,
    files: FilePolicy | None = None,
    root: Path | None = None,
    clock: Callable[[], float] = time.monotonic,
    reconcile: bool = True,
    building: Building | None = None,
    log_base_later: bool = False,
    emails: bool = True,
) -> tuple[Room, FileSync]:
    """Open a room. The log is the source of truth; the file seeds a room that has none
    (under `building`, see `_log_or_build`). With `root` (the served folder) the `.py` twin
    is kept in step too; without `reconcile` an outside edit to the file is not read.
    `log_base_later` (no `building`, no feed): a room built from its file with nothing
    logged yet serves its base while the log takes it (`_serve_built`), not after. Without
    `emails` (another process owns the room) the log is replayed `without_emails`."""
    files = files or FilePolicy()
    file = NotebookFile(path, max_bytes=max_notebook_bytes, form=files.form)
    deferred = log_base_later and building is None
    roomlog, loaded = await _log_or_build(room_id, file, store, building, deferred)
    unchanged = False  # the file holds the very bytes the room last saved or read
    if loaded is None:
        assert roomlog is not None
        loaded = await _replay_off_loop(room_id, roomlog, counters, emails=emails)
        unchanged = await _file_as_saved(room_id, file, roomlog, loaded)
    doc, claims = loaded.doc, loaded.claims
    if loaded.base is None:
        # The server's own client id is the server's before anything is written with it: a
        # peer writing under it would make the server's document and the peers' diverge.
        await store.claim(room_id, doc.client_id, SERVER_USER)  # (a built room's: claimed)
    claims[doc.client_id] = SERVER_USER
    room = Room(
        room_id,
        doc,
        store,
        history_id=loaded.history_id,
        claims=claims,
        protected=_protected(loaded, roomlog) if loaded.protected is None else loaded.protected,
        last_seq=loaded.seq,
        counters=counters,
        sync_timeout=sync_timeout,
        limits=None if decoder is None else decoder.limits,
        decoder=decoder,
        clock=clock,
    )
    room.waiting.update = loaded.waiting.update
    later = None if loaded.base is None else _serve_built(room, file, loaded.base, loaded.write)
    twin = None if root is None else _twin(room, path, root, files.twin, roomlog)
    filesync = FileSync(room, file, loaded.saved_sha, twin, saved_sha_later=later)
    if reconcile and roomlog is not None and not unchanged and await asyncio.to_thread(path.exists):
        await filesync.reconcile(await asyncio.to_thread(file.load))  # edited while we were down?
    return room, filesync


async def _log_or_build(
    room_id: RoomId, file: NotebookFile, store: Store, building: Building | None, deferred: bool
) -> tuple[RoomLog | None, _Loaded | None]:
    """The room's log, or the room built from its file when the log has no history yet.
    Processes opening a new room at once build it once: the one holding `building` builds,
    the others then find it in the log."""
    roomlog = await store.load(room_id)
    if roomlog is not None and HISTORY_ID in roomlog.meta:
        return roomlog, None
    if building is None:
        # Nothing in the log: the room may serve its base before the log has it.
        return roomlog, await _build(room_id, file, store, defer=deferred and roomlog is None)
    async with building():
        roomlog = await store.load(room_id)  # built meanwhile by another process?
        if roomlog is not None and HISTORY_ID in roomlog.meta:
            return roomlog, None
        return roomlog, await _build(room_id, file, store, defer=False)


def _protected(loaded: _Loaded, roomlog: RoomLog | None) -> ProtectedRanges:
    """The ranges of the server's own maps no peer may touch: the marker's, the ones the
    snapshot covers and the server's own-map writes after it."""
    ids = base_client_ids(loaded.history_id)
    protected = ProtectedRanges.from_json(loaded.protected_json, extra=[ids.pairbook])
    if roomlog is not None:
        for record in roomlog.updates:  # the server's own-map writes since the snapshot
            if record.user_id == SERVER_MAPS:
                protect_structs(protected, decode_update(record.update))
    return protected


def _serve_built(
    room: Room, file: NotebookFile, base: bytes, write: Callable[[], Awaitable[int]] | None
) -> Coroutine[Any, Any, str]:
    """A room just built from its file serves its base as it is; with `write`, the base is
    logged in the background meanwhile (CommitQueue.start_first). It is no one's update
    and the same file builds the same bytes again: were the process to stop before it is
    logged, the room is rebuilt from the file as it was (not written before then), and a
    peer that got it merges it without a duplicate. Returns the saved sha, to work out."""
    room.as_built.keep(base)
    logged = None
    if write is not None:
        logged = room.commits.start_first(write)
        logged.add_done_callback(partial(_note_logged, room))
    return _saved_sha_after_join(room, file, base, logged)


def _note_logged(room: Room, task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is None:
        room.last_seq = max(room.last_seq, task.result())  # the log reaches the base


def _twin(room: Room, path: Path, root: Path, default: bool, roomlog: RoomLog | None) -> TwinSync:
    stored = "" if roomlog is None else roomlog.meta.get(TWIN_SHA, "")
    return TwinSync(room, path, root, default=default, stored_sha=stored)


@dataclass(slots=True)
class _Loaded:
    """A room's document and what the log or the file says of it."""

    history_id: str
    doc: Doc[Any]
    claims: dict[int, str]
    seq: int
    saved_sha: str
    protected_json: str | None = None
    base: bytes | None = None
    """Built from the file just now: its base history (the saved sha is made from it)."""
    write: Callable[[], Awaitable[int]] | None = None
    """Logs the base, claims and meta of a room built just now, once it serves (its seq)."""
    waiting: Waiting = field(default_factory=Waiting)
    """The structs pending in the document (replayed from a log: see `_replay`)."""
    protected: ProtectedRanges | None = None
    """Replayed from a log: the ranges no peer may touch (`_protected`), worked out there."""
    skipped: int = 0
    """Replayed from a log: how many of its records could not be applied."""


async def _build(room_id: RoomId, file: NotebookFile, store: Store, *, defer: bool) -> _Loaded:
    """A new room's document, from its notebook file, and its log: the base history, claimed
    by the server. With `defer` the log is written once the room serves (`_Loaded.write`,
    see `_serve_built`): only for a room with no log at all, in a process alone with it."""
    # Parsing, validating and building the base history is seconds of pure Python for
    # a large notebook: a worker thread does it, on Docs of its own.
    history_id, base = await asyncio.to_thread(_build_from_file, file)
    ids = base_client_ids(history_id)
    claims: dict[int, str] = {ids.notebook: SERVER_USER, ids.pairbook: SERVER_USER}
    doc: Doc[Any] = Doc(client_id=fresh_client_id(claims))
    fingerprint = file.fingerprint

    async def write() -> int:
        # The server's own client id is the server's before anything is written with it: a
        # peer writing under it would make the server's document and the peers' diverge.
        for client in (ids.notebook, ids.pairbook, doc.client_id):
            await store.claim(room_id, client, SERVER_USER)
        seq = await store.append(room_id, base, SERVER_USER, [ids.notebook, ids.pairbook])
        # The history id after the base: a log that has it holds the base, and one that has
        # the base but not it (a crash in between) is built again from the same file.
        await store.set_meta(room_id, HISTORY_ID, history_id)
        if fingerprint is not None:  # the room holds what the file says
            await store.set_meta(room_id, FILE_RAW, fingerprint.sha256)
        return seq

    seq = 0
    if not defer:
        seq = await write()
    doc.apply_update(base)
    log.info("room built from file", extra={"room": room_id, "history": history_id})
    # Serialising the notebook for its sha is as long as building it: not on the way to
    # the first join (FileSync waits for it before it compares or writes the file).
    return _Loaded(history_id, doc, claims, seq, "", base=base, write=write if defer else None)


async def _replay_off_loop(
    room_id: RoomId, roomlog: RoomLog, counters: RoomCounters, *, emails: bool
) -> _Loaded:
    """`_replay` in a worker thread: a long log is seconds of CPU (100,000 one-key records:
    11.8 s) that on the event loop every room of this process would wait for. The Doc is
    built there and then used on the loop alone: pycrdt's Doc may change threads (not an
    `unsendable` pyclass; checked by test_loading_a_long_log)."""
    loaded = await asyncio.to_thread(_replay, room_id, roomlog, emails)
    counters.skipped_records += loaded.skipped  # the loop's, like every room's counters
    return loaded


def _replay(room_id: RoomId, roomlog: RoomLog, emails: bool = True) -> _Loaded:
    """A room's document rebuilt from its log: the snapshot, then every record after it.
    Runs in a worker thread (see `_replay_off_loop`): it touches nothing but its own Doc.
    Without `emails` each update is replayed `without_emails`: only the owner writes an old
    log's `mob` map again without them (MobService.start), maybe after this room serves."""
    clean: Callable[[bytes], bytes] = (lambda update: update) if emails else without_emails
    claims = dict(roomlog.claims)
    doc: Doc[Any] = Doc(client_id=fresh_client_id(claims))
    if roomlog.snapshot is not None:
        applied = apply_update(doc, clean(roomlog.snapshot))
        if applied.error is not None:  # the server wrote it from a document: corrupt
            raise StoreError(
                f"the snapshot of {room_id} cannot be replayed ({applied.error}); restore "
                "the store file from a backup or move it aside to rebuild the room from "
                "the notebook file"
            )
    taken: list[bytes] = []
    skipped = 0
    for record in roomlog.updates:
        applied = apply_update(doc, update := clean(record.update))
        if applied.error is None:
            taken.append(update)
        else:
            # Logged before the room applied first (or corrupted since): one record
            # must not keep the whole room from loading.
            skipped += 1
            log.error(
                "log record skipped: it cannot be applied",
                extra={
                    "room": room_id,
                    "seq": record.seq,
                    "user": record.user_id,
                    "partly": applied.partly,
                    "reason": applied.error,
                },
            )
    seq = roomlog.updates[-1].seq if roomlog.updates else roomlog.snapshot_seq
    history_id = roomlog.meta[HISTORY_ID]
    saved_sha = roomlog.meta.get(FILE_SHA, "")
    loaded = _Loaded(history_id, doc, claims, seq, saved_sha, roomlog.meta.get(PROTECTED_META))
    loaded.skipped = skipped
    loaded.protected = _protected(loaded, roomlog)
    # A record with a skip (admitted as it came) may leave structs pending in the document
    # as in the room that logged it, and so may the snapshot (which holds those that waited
    # as it was taken): the room must then follow its document (Room.waiting).
    state = doc.get_state()
    held = roomlog.meta.get(WAITING_META) if roomlog.snapshot is not None else None
    snapshot = [base64.b64decode(held)] if held else []
    loaded.waiting = Waiting.left_by([*snapshot, *taken], state)
    return loaded


async def _file_as_saved(
    room_id: RoomId, file: NotebookFile, roomlog: RoomLog, loaded: _Loaded
) -> bool:
    """Whether the file holds the very bytes the room last saved or read (FILE_RAW); if
    not, `loaded.saved_sha` is set to what pairbook last wrote there (the last keeper's
    write, if it landed: rooms/filewrite.py), or "" for a missing file."""
    raw = str(roomlog.meta.get(FILE_RAW) or "")
    recognised: bool = bool(raw) and await asyncio.to_thread(file.recognise, raw)
    if recognised:
        return True
    if not await _file_baseline(room_id, file):
        loaded.saved_sha = ""
        return False
    told = str(roomlog.meta.get(FILE_NEXT, ""))
    loaded.saved_sha = await asyncio.to_thread(landed_sha, file, loaded.saved_sha, told)
    return False


async def _file_baseline(room_id: RoomId, file: NotebookFile) -> bool:
    """Read the notebook file, the baseline for spotting outside edits; False when it is
    missing (it will be written from the log)."""
    try:
        await asyncio.to_thread(file.load)
    except NotebookError as exc:
        if await asyncio.to_thread(file.path.exists):
            raise
        log.warning(
            "notebook file missing; it will be written from the log",
            extra={"room": room_id, "reason": str(exc)},
        )
        return False
    return True


def _build_from_file(file: NotebookFile) -> tuple[str, bytes]:
    """Read a notebook and build its base history: (history id, base update). Runs in a
    worker thread."""
    content = file.load()
    base = base_history_of(content.nb)
    return base.history_id, base.update


FIRST_ANSWER_WAIT = 2.0
"""How long a built room's saved sha waits for the first join to be answered."""
FIRST_ANSWER_AFTER = 0.5
"""...and then for that answer to be on its way (a 5 MB step 2 is written and read for
hundreds of ms on a busy machine)."""


async def _saved_sha_after_join(
    room: Room, file: NotebookFile, base: bytes, logged: asyncio.Task[int] | None
) -> str:
    """`_saved_sha_of` in a worker thread, once the room has answered its first peer (or
    after FIRST_ANSWER_WAIT) and a moment more: its CPU (70 ms for 5 MB of notebook) would
    otherwise be taken from the first join, which waited for the room to be built. A save
    or a look at the file before then waits for it (FileSync); and, for a room whose base
    is logged in the background (`logged`), for that too: the file must still hold what
    the base was built from until the log has the base (`_serve_built`)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(room.answered.wait(), FIRST_ANSWER_WAIT)
        await asyncio.sleep(FIRST_ANSWER_AFTER)
    if logged is not None:
        await asyncio.shield(logged)  # raises if it failed: the room is lost, nothing saved
    return await asyncio.to_thread(_saved_sha_of, file, base)


def _saved_sha_of(file: NotebookFile, base: bytes) -> str:
    """The sha of the notebook a base history makes, as the room will save it. Runs in a
    worker thread; its Doc never leaves it."""
    doc: Doc[Any] = Doc()
    doc.apply_update(base)
    return sha_of(file.bytes_of(ydoc_to_notebook(doc)))


async def logged_elsewhere(
    room_id: RoomId, store: Store, broker: Broker | None
) -> dict[str, Any] | None:
    """The room's notebook as the log holds it now, when another process keeps the room
    open (the holder of its files lease: its notebook file may lag its edits by the autosave
    delay, or longer while Redis is away); None when no process keeps it (the file is as the
    last one left it), without a broker, or when the log holds no history of the room. A
    broker that cannot say counts as a process keeping it: the log is never older."""
    if broker is None:
        return None
    with contextlib.suppress(BrokerError):
        if await broker.holder(room_id, FILES) is None:
            return None
    return await notebook_in_log(room_id, store)


async def notebook_in_log(room_id: RoomId, store: Store) -> dict[str, Any] | None:
    """The notebook the room's log holds (its snapshot and the records after it), or None
    when the log holds no history of the room. Replayed in a worker thread, on a Doc of its
    own: a long log is seconds of CPU (100,000 one-key records: 11.8 s), which on the event
    loop every room of this process would wait for."""
    roomlog = await store.load(room_id)
    if roomlog is None or HISTORY_ID not in roomlog.meta:
        return None
    return await asyncio.to_thread(_notebook_of, room_id, roomlog)


def _notebook_of(room_id: RoomId, roomlog: RoomLog) -> dict[str, Any]:
    return ydoc_to_notebook(_replay(room_id, roomlog).doc)
