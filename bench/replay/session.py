"""A realistic recorded session: three people typing over many cells, into a real store."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.record import Recorder
from pairbook.store import Store
from pairbook.store.records import EventRecord

_VOCABULARY = (
    "df total mean rows value result model fit predict plot axis label frame index for in if "
    "else return print import numpy pandas sum len range zip key items"
)
WORDS = _VOCABULARY.split()


class Clock:
    """The session's wall clock, moved by the simulation (the store stamps records with it)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass
class Person:
    user: str
    doc: Doc[Any]
    rng: random.Random
    cell: int = 0
    line: list[str] = field(default_factory=list)
    synced: int = 0
    """How many log records this person's document has seen (the rest arrive in bursts)."""


def new_cell(cell_id: str) -> Map[Any]:
    return Map(
        {
            "id": cell_id,
            "cell_type": "code",
            "source": Text(""),
            "metadata": Map({}),
            "outputs": Array([]),
            "execution_count": None,
        }
    )


async def build_session(
    store: Store, clock: Clock, room: str, updates: int, *, cells: int = 60, seed: int = 8
) -> dict[str, Any]:
    """Append `updates` keystroke-sized updates by three people, ~4 keys/s each, with
    backspaces, new cells and deleted lines; presence events once a second per person; a
    replay checkpoint every 1000 records (as a live room keeps them)."""
    rng = random.Random(seed)
    server: Doc[Any] = Doc(client_id=1)
    log: list[bytes] = []
    recorder = Recorder(room, server, store, lambda: len(log), checkpoint_every=1000, clock=clock)
    # What a browser sends is each transaction's own update (Yjs' "update" event), never a
    # diff against a state vector: that one would carry the document's whole delete set.
    sent: dict[str, list[bytes]] = {}
    people = [
        Person(name, Doc(client_id=10 + i), random.Random(seed + i))
        for i, name in enumerate(("ana", "bo", "cy"))
    ]
    for person in people:
        sent[person.user] = []
        person.doc.observe(lambda event, user=person.user: sent[user].append(event.update))

    async def commit(person: Person, update: bytes) -> None:
        await store.append(room, update, person.user, [person.doc.client_id])
        server.apply_update(update)
        log.append(update)
        await recorder.checkpoint(len(log))

    def catch_up(person: Person) -> None:
        # Peers' edits reach a person in bursts, so some typing is truly concurrent.
        for update in log[person.synced :]:
            person.doc.apply_update(update)
        person.synced = len(log)
        sent[person.user].clear()  # what arrived is not what this person sends

    first = people[0]
    before = first.doc.get_state()
    ycells = first.doc.get("cells", type=Array)
    with first.doc.transaction():
        for i in range(cells):
            ycells.append(new_cell(f"cell-{i}"))
    await commit(first, first.doc.get_update(before))
    sent[first.user].clear()
    events: list[EventRecord] = []
    last_presence = {p.user: 0.0 for p in people}
    while len(log) < updates:
        clock.now += rng.expovariate(12.0)  # three people at ~4 keys/s each
        person = rng.choice(people)
        if rng.random() < 0.3:
            catch_up(person)
        ycells = person.doc.get("cells", type=Array)
        if person.rng.random() < 0.01 or person.cell >= len(ycells):
            person.cell = person.rng.randrange(len(ycells))
        source: Text = ycells[person.cell]["source"]
        roll = person.rng.random()
        text = str(source)
        if roll < 0.08 and len(text) > 0:
            end = len(text.encode())
            del source[end - 1 : end]  # backspace (ASCII only, so bytes are characters)
        elif roll < 0.081:
            ycells.append(new_cell(f"cell-{len(log)}-{person.user}"))
        elif roll < 0.082 and "\n" in text:
            cut = text.index("\n") + 1
            del source[0:cut]  # delete the first line
        else:
            if not person.line:
                person.line = list(" ".join(person.rng.choice(WORDS) for _ in range(4)) + "\n")
            source.insert(len(text.encode()), person.line.pop(0))
        update = b"".join(sent[person.user]) if len(sent[person.user]) == 1 else None
        assert update is not None, "one keystroke, one transaction"
        sent[person.user].clear()
        await commit(person, update)
        if clock.now - last_presence[person.user] >= 1.0:
            last_presence[person.user] = clock.now
            state = {"cell": f"cell-{person.cell}", "mode": "edit", "cursor": {"anchor": len(text)}}
            data = json.dumps({"client": person.doc.client_id, "state": state})
            events.append(EventRecord(room, len(log), clock.now, "awareness", person.user, data))
        if len(events) >= 200:
            await store.append_events(room, events)
            events = []
    await store.append_events(room, events)
    busiest = max(
        range(len(server.get("cells", type=Array))),
        key=lambda i: len(str(server.get("cells", type=Array)[i]["source"])),
    )
    return {
        "updates": len(log),
        "seconds": clock.now - 1_700_000_000.0,
        "busiest_cell": str(server.get("cells", type=Array)[busiest]["id"]),
        "update_bytes": sum(len(u) for u in log),
    }
