"""The replayer over a real room's log (MemoryStore, fake clock): playing forward, a paused
recording, the timing a player paces itself by, seeking, and blame at a moment."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Text

from pairbook.notebook.outputs import find_ycell
from pairbook.record import EventKind, Replayer
from pairbook.rooms import Room
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import load_room
from pairbook.store import MemoryStore
from pairbook.store.records import EventRecord
from pairbook.types import RoomId, UserId
from support.clock import FakeClock
from support.notebooks import write_notebook

ROOM = RoomId("demo.ipynb")
CELL = "code-0"


class Log:
    """A room writing its log into a MemoryStore whose clock the test moves."""

    def __init__(self, room: Room, store: MemoryStore, clock: FakeClock) -> None:
        self.room = room
        self.store = store
        self.clock = clock

    async def type(self, user: str, text: str, *, after: float = 1.0) -> int:
        """`user` types at the end of the cell `after` seconds on; the record's seq."""
        self.clock.advance(after)

        def edit(doc: Doc[Any]) -> None:
            ycell = find_ycell(doc, CELL)
            assert ycell is not None
            source = ycell["source"]
            source.insert(len(source), text)

        seq = await self.room.apply_server_edit(edit, UserId(user))
        assert seq is not None
        return seq

    async def event(self, kind: EventKind, user: str, data: dict[str, Any]) -> None:
        record = EventRecord(
            ROOM, self.room.last_seq, self.clock.now, kind.value, user, json.dumps(data)
        )
        await self.store.append_events(ROOM, [record])

    def replayer(self, **options: Any) -> Replayer:
        options.setdefault("save_checkpoints", False)
        return Replayer(self.store, ROOM, **options)


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[Log]:
    clock = FakeClock(5000.0)
    store = MemoryStore(clock=clock)
    await store.open()
    room, _ = await load_room(
        ROOM, write_notebook(tmp_path / "demo.ipynb", ["x"]), store, RoomCounters(), sync_timeout=15
    )
    yield Log(room, store, clock)
    await room.settle()
    await store.close()


def source(doc: Doc[Any]) -> str:
    ycell = find_ycell(doc, CELL)
    assert ycell is not None
    text = ycell["source"]
    assert isinstance(text, Text)
    return str(text)


def play(doc: Doc[Any], steps: list[dict[str, Any]]) -> None:
    for step in steps:
        doc.apply_update(base64.b64decode(step["update"]))


# -- playing forward ------------------------------------------------------------------------


async def test_a_player_going_forward_gets_every_record_with_its_author_and_time(
    log: Log,
) -> None:
    start = log.room.last_seq
    first = await log.type("ana", "1")
    await log.event(EventKind.JOIN, "bob", {"name": "Bob", "color": "#00ff00", "role": "editor"})
    await log.type("bob", "2", after=2.5)
    last = await log.type("ana", "3", after=0.5)
    replayer = log.replayer()
    chunk = await replayer.chunk(start, limit=100)
    assert chunk["last"] == last
    assert [(s["seq"], s["user"]) for s in chunk["steps"]] == [
        (first, "ana"),
        (first + 1, "bob"),
        (last, "ana"),
    ]
    # The times a player paces itself by, at any speed: as the log stamped them.
    times = [s["ts"] for s in chunk["steps"]]
    assert [b - a for a, b in itertools.pairwise(times)] == [2.5, 0.5]
    assert [e["kind"] for e in chunk["events"]] == [EventKind.JOIN.value]
    doc = await replayer.doc_at(start)
    play(doc, chunk["steps"])
    assert source(doc) == "x123"
    limited = await replayer.chunk(start, limit=1)
    assert [s["seq"] for s in limited["steps"]] == [first]
    assert limited["last"] == first


async def test_commands_are_not_timeline_events_of_a_player(log: Log) -> None:
    start = log.room.last_seq
    await log.type("ana", "1")
    await log.event(EventKind.COMMAND, "ana", {"command": "run"})
    chunk = await log.replayer().chunk(start, limit=10)
    assert chunk["events"] == []


# -- a paused recording ---------------------------------------------------------------------


async def test_records_logged_while_recording_was_paused_play_as_one_gap(log: Log) -> None:
    start = log.room.last_seq
    await log.type("ana", "a")
    await log.event(EventKind.RECORDING, "ana", {"on": False})
    paused_at = log.room.last_seq
    await log.type("ana", "b")
    resumed = await log.type("bob", "c")
    await log.event(EventKind.RECORDING, "ana", {"on": True})
    after = await log.type("ana", "d")
    replayer = log.replayer()
    chunk = await replayer.chunk(start, limit=100)
    steps = chunk["steps"]
    assert [(s["seq"], s.get("gap", False)) for s in steps] == [
        (paused_at, False),
        (resumed, True),
        (after, False),
    ]
    assert steps[1]["user"] == ""  # who typed while paused is not shown
    doc = await replayer.doc_at(start)
    play(doc, steps)
    assert source(doc) == "xabcd"
    # Seeking into the window shows the moment it ended.
    moment = await replayer.moment(paused_at + 1)
    assert moment.seq == resumed


async def test_a_recording_still_paused_shows_nothing_after_the_pause(log: Log) -> None:
    start = log.room.last_seq
    await log.type("ana", "a")
    await log.event(EventKind.RECORDING, "ana", {"on": False})
    paused_at = log.room.last_seq
    await log.type("ana", "secret")
    replayer = log.replayer()
    chunk = await replayer.chunk(start, limit=100)
    assert chunk["last"] == paused_at
    assert [s["seq"] for s in chunk["steps"]] == [paused_at]
    assert (await replayer.moment(log.room.last_seq)).seq == paused_at
    windows = await replayer.off_windows()
    assert [(w.from_seq, w.to_seq) for w in windows] == [(paused_at, None)]


# -- seeking ----------------------------------------------------------------------------------


async def test_seeking_rebuilds_the_document_at_any_moment(log: Log) -> None:
    seqs = [await log.type("ana", letter) for letter in "abcde"]
    replayer = log.replayer(checkpoint_every=2, save_checkpoints=True)
    for seq, expected in zip(seqs, ["xa", "xab", "xabc", "xabcd", "xabcde"], strict=True):
        moment = await replayer.moment(seq)
        doc: Doc[Any] = Doc()
        doc.apply_update(moment.update)
        assert source(doc) == expected
        assert moment.ts == log.clock.now - (seqs[-1] - seq)
    # Going back after a seek forward saved checkpoints, and starts from them.
    assert await log.store.checkpoint(ROOM, seqs[-1]) is not None
    assert source(await replayer.doc_at(seqs[1])) == "xab"
    first, last = await replayer.bounds()
    assert (first, last) == (0, seqs[-1])
    assert (await replayer.moment(last + 10)).seq == last  # clamped to the log


async def test_a_moment_knows_who_was_present(log: Log) -> None:
    await log.type("ana", "a")
    await log.event(EventKind.AWARENESS, "ana", {"client": 7, "state": {"cursor": 1}})
    await log.event(EventKind.AWARENESS, "bob", {"client": 8, "state": {"cursor": 2}})
    seq = await log.type("ana", "b")
    await log.type("ana", "c")
    await log.event(EventKind.LEAVE, "bob", {"clients": [8]})
    later = await log.type("ana", "d")
    replayer = log.replayer()
    assert [p["user"] for p in (await replayer.moment(seq)).presence] == ["ana", "bob"]
    assert [p["user"] for p in (await replayer.moment(later)).presence] == ["ana"]


async def test_the_timeline_shows_who_typed_when(log: Log) -> None:
    await log.event(EventKind.JOIN, "ana", {"name": "Ana", "color": "#ff0000", "role": "editor"})
    await log.type("ana", "a")
    await log.type("bob", "b", after=10.0)
    timeline = await log.replayer().timeline(bins=2)
    assert timeline["density"] == {"ana": [1, 0], "bob": [0, 1]}
    assert timeline["people"]["ana"] == {"id": "ana", "name": "Ana", "color": "#ff0000"}
    assert timeline["end_ts"] == log.clock.now


# -- blame --------------------------------------------------------------------------------------


async def test_blame_at_a_moment_names_who_wrote_each_line_going_forward_and_back(
    log: Log,
) -> None:
    first = await log.type("ana", " = 1\n")
    second = await log.type("bob", "y = 2")
    replayer = log.replayer(blame_keep_every=1)
    lines = await replayer.blame(second, CELL)
    assert [(line.text, line.user_id) for line in lines] == [("x = 1", "ana"), ("y = 2", "bob")]
    assert lines[1].seq == second
    assert lines[1].ts == log.clock.now
    back = await replayer.blame(first, CELL)  # going back: from a kept copy
    assert [(line.text, line.user_id) for line in back] == [("x = 1", "ana"), ("", "ana")]
    assert replayer.kept_blames


async def test_blame_of_a_line_changed_while_paused_tells_when_the_pause_ended(log: Log) -> None:
    await log.event(EventKind.RECORDING, "ana", {"on": False})
    hidden = await log.type("ana", " = 1")
    resumed = await log.type("bob", "\ny = 2", after=3.0)
    await log.event(EventKind.RECORDING, "ana", {"on": True})
    (line, _) = await log.replayer().blame(resumed, CELL)
    assert line.seq == resumed
    assert line.seq != hidden
