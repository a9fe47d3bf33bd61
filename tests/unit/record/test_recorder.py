"""The recorder and the replayer over a MemoryStore: throttled presence, events from the
document, recording off, checkpoints, moments, retention."""

from __future__ import annotations

import base64
import json
from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.record import EventKind, Recorder, Replayer, export_lines
from pairbook.record.timeline import set_recording_flag
from pairbook.store import MemoryStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Log:
    """A live document whose every change is appended to the store, as a room does."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.doc: Doc[Any] = Doc(client_id=7)
        self.seq = 0

    async def change(self, edit: Any, user: str = "ana") -> None:
        before = self.doc.get_state()
        with self.doc.transaction():
            edit(self.doc)
        self.seq = await self.store.append("r", self.doc.get_update(before), user, [7])


def cell(text: str) -> Map[Any]:
    return Map({"id": "c", "cell_type": "code", "source": Text(text), "metadata": Map({})})


async def kinds(store: MemoryStore) -> list[tuple[str, str]]:
    return [(e.kind, e.user_id) for e in await store.events("r")]


async def test_presence_is_kept_at_most_once_per_interval_ending_on_the_newest() -> None:
    clock = Clock()
    async with MemoryStore(clock=clock) as store:
        log = Log(store)
        recorder = Recorder("r", log.doc, store, lambda: log.seq, clock=clock)
        for column in range(5):
            recorder.note_awareness("ana", 1, {"cell": "c", "column": column})
            clock.now += 0.1
        await recorder.flush()
        clock.now += 1.0
        await recorder.flush()
        states = [json.loads(e.data)["state"]["column"] for e in await store.events("r")]
        assert states == [0, 4]


async def test_runs_kernel_status_roles_and_recording_come_from_the_document() -> None:
    async with MemoryStore() as store:
        log = Log(store)
        recorder = Recorder("r", log.doc, store, lambda: log.seq)
        recorder.watch()
        run = {"cell_id": "c", "user": {"id": "bo"}, "status": "queued"}
        await log.change(lambda d: d.get("executions", type=Map).__setitem__("e1", run))
        await log.change(
            lambda d: d.get("executions", type=Map).__setitem__("e1", {**run, "status": "ok"})
        )
        await log.change(lambda d: d.get("kernel", type=Map).__setitem__("status", "busy"))
        await log.change(lambda d: d.get("mob", type=Map).__setitem__("driver", "bo"))
        await log.change(lambda d: d.get("mob", type=Map).__setitem__("timer", 30))  # not a role
        await log.change(lambda d: set_recording_flag(d, False, "bo", 1.0))
        recorder.note(EventKind.COMMAND, "ana", {"command": "run"})  # off: not kept
        await log.change(lambda d: set_recording_flag(d, True, "ana", 2.0))
        await recorder.flush()
        assert await kinds(store) == [
            ("run", "bo"),
            ("run", "bo"),
            ("kernel", ""),
            ("role", ""),
            ("recording", "bo"),
            ("recording", "ana"),
        ]
        role = (await store.events("r", kinds=["role"]))[0]
        assert json.loads(role.data) == {"driver": "bo"}
        recorder.unwatch()


async def test_checkpoints_make_moments_and_retention_keeps_what_follows() -> None:
    clock = Clock()
    async with MemoryStore(clock=clock) as store:
        log = Log(store)
        recorder = Recorder("r", log.doc, store, lambda: log.seq, checkpoint_every=3, clock=clock)
        await log.change(lambda d: d.get("cells", type=Array).append(cell("")))
        texts = [""]
        for i in range(9):
            clock.now += 10
            await log.change(lambda d, i=i: d.get("cells", type=Array)[0]["source"].insert(i, "x"))
            texts.append("x" * (i + 1))
            await recorder.checkpoint(log.seq)
        assert await store.checkpoint_seqs("r") == [3, 6, 9]
        replayer = Replayer(store, "r", save_checkpoints=False)
        for seq in range(1, 11):
            doc = await replayer.doc_at(seq)
            assert str(doc.get("cells", type=Array)[0]["source"]) == texts[seq - 1]
        moment = await replayer.moment(5)
        assert (moment.seq, moment.ts) == (5, 1040.0)
        await store.save_snapshot("r", log.doc.get_update(), 10)
        assert await store.prune_recording("r", 6) == 6
        assert await replayer.bounds() == (6, 10)
        assert (await replayer.moment(2)).seq == 6  # the earliest moment still kept
        lines = await replayer.blame(10, "c")
        assert [(line.text, line.user_id, line.seq) for line in lines] == [("x" * 9, "ana", 10)]
        # The five x's from before the kept history keep their author: the checkpoint the
        # history starts at carries the blame of its moment.
        assert lines[0].authors == ("ana",)
        exported = [json.loads(line) async for line in export_lines(replayer)]
        assert [line["type"] for line in exported[:2]] == ["header", "checkpoint"]
        rebuilt: Doc[Any] = Doc()
        for line in exported:
            if "update" in line:
                rebuilt.apply_update(base64.b64decode(line["update"]))
        assert str(rebuilt.get("cells", type=Array)[0]["source"]) == "x" * 9


async def test_a_replayer_saves_the_checkpoints_an_old_store_never_had() -> None:
    async with MemoryStore() as store:
        log = Log(store)
        await log.change(lambda d: d.get("cells", type=Array).append(cell("")))
        for i in range(7):
            await log.change(lambda d, i=i: d.get("cells", type=Array)[0]["source"].insert(i, "y"))
        replayer = Replayer(store, "r", checkpoint_every=4, save_checkpoints=True)
        doc = await replayer.doc_at(8)
        assert str(doc.get("cells", type=Array)[0]["source"]) == "y" * 7
        assert await store.checkpoint_seqs("r") == [4, 8]


async def test_blame_going_back_starts_from_a_kept_copy_and_agrees_with_a_fresh_one() -> None:
    async with MemoryStore() as store:
        log = Log(store)
        await log.change(lambda d: d.get("cells", type=Array).append(cell("")))
        for i in range(29):
            user = ("ana", "bo")[i % 2]
            text = f"line {i}\n" if i % 3 else "x"
            await log.change(
                lambda d, t=text: d.get("cells", type=Array)[0]["source"].insert(0, t), user
            )
        replayer = Replayer(store, "r", save_checkpoints=False, blame_keep_every=10)
        at_end = await replayer.blame(30, "c")
        assert replayer.kept_blames == [10, 20, 30]
        for seq in (25, 12, 30, 3):
            fresh = Replayer(store, "r", save_checkpoints=False)
            assert await replayer.blame(seq, "c") == await fresh.blame(seq, "c"), seq
        assert await replayer.blame(30, "c") == at_end
        assert replayer.kept_blames == [10, 20, 30]
