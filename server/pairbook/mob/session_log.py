"""A session as the log tells it: who changed which cells (from each logged update's author),
who drove and ran what (from the `mob` and `executions` maps) — for `pairbook commit`, which
reads the store with the server running or not."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pycrdt import Array, Doc, Map

from pairbook.auth import User
from pairbook.mob import Rotation, Summary, cells_ran, summarize
from pairbook.notebook.applied import apply_update
from pairbook.notebook.outputs import cell_ids
from pairbook.schema import CELLS, EXECUTIONS_MAP, MOB_MAP, is_server_author
from pairbook.service import read_cells_change
from pairbook.store.port import Store
from pairbook.types import RoomId


async def summary_from_log(
    store: Store,
    room: RoomId,
    *,
    since: float | None,
    now: float,
    profiles: Mapping[str, User],
) -> Summary | None:
    """Replay a room's log and summarize the session since a time; None if nothing is logged."""
    records = await store.records(room)
    if not records:
        return None
    doc: Doc[Any] = Doc()
    ycells = doc.get(CELLS, type=Array)
    changed: dict[str, set[str]] = {}
    author: list[str | None] = [None]

    def on_cells(events: list[Any]) -> None:
        if author[0] is not None:
            touched = read_cells_change(ycells, events).touched
            changed.setdefault(author[0], set()).update(touched)

    # pycrdt holds the callback from Rust, out of the collector's reach: kept, the callback
    # (which closes over ycells) would keep this Doc alive after the summary
    subscription = ycells.observe_deep(on_cells)
    try:
        if records[0].seq > 1:  # the start of the log was pruned: its snapshot stands in
            roomlog = await store.load(room)
            if roomlog is not None and roomlog.snapshot is not None:
                doc.apply_update(roomlog.snapshot)
                records = [r for r in records if r.seq > roomlog.snapshot_seq]
        for record in records:
            human = not is_server_author(record.user_id)
            author[0] = record.user_id if human and (since is None or record.ts >= since) else None
            apply_update(doc, record.update)  # one pycrdt cannot apply is skipped, as on load
    finally:
        ycells.unobserve(subscription)

    state = doc.get(MOB_MAP, type=Map).to_py() or {}
    rotation = Rotation.from_json(state, clock=lambda: now)
    session = state.get("session") or {}
    started = session.get("started")
    if since is None or (started is not None and started > since):
        since = started
    # The token file's profiles first: the `mob` map names people without their emails.
    people = {**rotation.people, **profiles}
    executions = doc.get(EXECUTIONS_MAP, type=Map).to_py() or {}
    ran = cells_ran(executions, since)
    driven = rotation.driven_seconds(since)
    present = set(rotation.people) | set(changed) | set(ran) | set(driven)
    return summarize(
        {uid: people.get(uid) or User.of_id(uid) for uid in present},
        driven,
        changed,
        ran,
        since=since,
        until=now,
        cell_order=cell_ids(doc),
    )
