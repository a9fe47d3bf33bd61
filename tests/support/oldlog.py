"""A room's log as the server wrote it before 6461f2c: the `mob` map's people with their
emails (`{user id: {id, name, color, email}}`), appended as the server's own edit."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map

from pairbook.store import open_store


async def log_an_old_mob_map(store_url: str, room: str, people: dict[str, dict[str, str]]) -> int:
    """Append to the room's log the `mob` map's people as the server wrote them before
    6461f2c (with their emails), as the server's own edit; returns the record's seq. No
    process may hold the room meanwhile (stopped, or the room unloaded everywhere)."""
    async with open_store(store_url) as store:
        log = await store.load(room)
        assert log is not None
        doc: Doc[Any] = Doc()
        if log.snapshot is not None:
            doc.apply_update(log.snapshot)
        for record in log.updates:
            doc.apply_update(record.update)
        state = doc.get_state()
        doc.get("mob", type=Map)["people"] = people
        update = doc.get_update(state)
        return await store.append(room, update, "pairbook:server", [doc.client_id])


def people_in(update: bytes) -> dict[str, Any]:
    """The `mob` map's people in the document an update (a moment, a whole state) makes."""
    doc: Doc[Any] = Doc()
    doc.apply_update(update)
    people: dict[str, Any] = doc.get("mob", type=Map).to_py()["people"]
    return people
