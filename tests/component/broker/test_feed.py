"""Two processes holding one room, as two room cores on one MemoryStore with a MemoryBroker
each on a shared hub: updates and awareness cross over as the same bytes, a late joiner has
no gap and no duplicate, a lost entry is read from the log, a client id is one person's
across processes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Text, merge_updates

from pairbook.broker import Broker, DocEntry, MemoryBroker, MemoryHub
from pairbook.errors import AuthError
from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.messages import (
    AwarenessMessage,
    decode_message,
    encode_awareness,
    encode_sync_step2,
    encode_sync_update,
)
from pairbook.protocol.update import decode_state_vector
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.feed import HEAD_CHECK, subscribe_feed
from pairbook.rooms.loader import load_room
from support.brokerkit import (
    ROOM,
    Process,
    ana_and_bob,
    open_process,
    settle,
    shared_store,
    two_processes,
)
from support.clock import FakeClock
from support.updates import half_appliable_update, legacy_json_update


@pytest.fixture
def brokers() -> Callable[[], Broker]:
    """Brokers of several processes on one hub."""
    hub = MemoryHub()
    return lambda: MemoryBroker(hub)


async def test_an_update_accepted_on_one_process_reaches_the_other_process_peers(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with ana_and_bob(tmp_path, brokers) as (a, ana, b, bob, store):
        frame = encode_sync_update(ana.edit("hello"))
        await a.send(ana, frame)
        await settle(a, b)
        bob.read()
        assert frame in bob.frames  # the very bytes ana sent
        assert bob.text() == "hello"
        assert str(b.room.doc.get("scratch", type=Text)) == "hello"
        assert a.room.last_seq == b.room.last_seq == (await store.records(ROOM))[-1].seq
        await b.send(bob, encode_sync_update(bob.edit(" world")))
        await settle(a, b)
        ana.read()
        assert ana.text() == bob.text() == "hello world"


async def test_a_late_joiner_loads_from_the_log_then_reads_on_without_gap_or_duplicate(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with (
        shared_store(tmp_path) as (path, store),
        brokers() as a_broker,
        brokers() as b_broker,
    ):
        a = await open_process(path, store, a_broker)
        ana = await a.join("ana", 101)
        await a.send(ana, encode_sync_update(ana.edit("before ")))
        # B subscribes, then an update is logged and published before B's load reads the
        # log: B's document gets it from the log, and its entry (same seq) is skipped.
        feed = await subscribe_feed(b_broker, store, ROOM)
        assert feed is not None
        await a.send(ana, encode_sync_update(ana.edit("during ")))
        await settle(a)
        room, _ = await load_room(ROOM, path, store, RoomCounters(), sync_timeout=15.0)
        await feed.attach(room)
        b = Process(room, feed, FakeClock())
        await a.send(ana, encode_sync_update(ana.edit("after")))
        await settle(a, b)
        assert str(b.room.doc.get("scratch", type=Text)) == "before during after"
        assert feed.remote_updates == 1  # "after" alone came through the broker
        assert b.room.last_seq == a.room.last_seq
        ana.sender.cancel()


async def test_an_update_whose_entry_was_lost_is_read_from_the_log(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with ana_and_bob(tmp_path, brokers) as (a, ana, b, bob, _store):
        await b.feed.close()  # B hears nothing for a while
        await a.send(ana, encode_sync_update(ana.edit("lost ")))
        await b.feed.broker.subscribe(ROOM, b.feed)
        await a.send(ana, encode_sync_update(ana.edit("found")))
        await settle(a, b)
        # "found" is pending in B's document (it follows "lost "): a gap in the seqs.
        assert str(b.room.doc.get("scratch", type=Text)) == ""
        assert b.room.last_seq < a.room.last_seq
        await b.feed.upkeep(b.clock())
        assert b.room.last_seq < a.room.last_seq  # the grace time: it may be on its way
        b.clock.advance(1.0)
        await b.feed.upkeep(b.clock())
        await settle(b)
        bob.read()
        assert b.room.last_seq == a.room.last_seq
        assert bob.text() == "lost found"


async def test_entries_that_keep_coming_late_are_waited_for_not_read_from_the_log(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    # Under load, A's entries reach B a while after B logged a later seq. A fixed 0.2 s
    # grace read every such gap from the log, and those reads loaded the processes further
    # (session 15: every update read back 1.5 times). Once entries were seen coming 0.5 s
    # late, the next gaps wait that long: their entries come through the broker.
    async with ana_and_bob(tmp_path, brokers) as (a, ana, b, bob, store):
        through_broker: list[int] = []
        for word in ("one ", "two ", "three ", "four "):
            b.feed.broker.unsubscribe(ROOM, b.feed)  # A's entry is held back a while
            await a.send(ana, encode_sync_update(ana.edit(word)))
            seq = a.room.last_seq
            await b.send(bob, encode_sync_update(bob.edit(word.upper())))  # B logs seq + 1
            await settle(a, b)
            b.clock.advance(0.5)
            await b.feed.upkeep(b.clock())
            await b.feed.broker.subscribe(ROOM, b.feed)
            record = (await store.records(ROOM, seq - 1, 1))[0]
            frame = encode_sync_update(record.update)
            before = b.feed.remote_updates
            b.feed.deliver([DocEntry(seq, frame, record.user_id, record.client_ids)])
            through_broker.append(b.feed.remote_updates - before)
        await settle(a, b)
        assert through_broker == [0, 1, 1, 1]  # the first gap is read from the log
        assert b.room.last_seq == a.room.last_seq
        assert str(b.room.doc.get("scratch", type=Text)) == str(
            a.room.doc.get("scratch", type=Text)
        )


async def test_a_marker_entry_makes_the_other_process_read_the_log(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with two_processes(tmp_path, brokers) as (_a, b, store):
        seq = await store.append(ROOM, _typed("behind the broker's back"), "ana", [555])
        b.feed.deliver([DocEntry(seq, b"", "", ())])
        b.clock.advance(1.0)
        await b.feed.upkeep(b.clock())
        assert str(b.room.doc.get("scratch", type=Text)) == "behind the broker's back"
        assert b.room.last_seq == seq


async def test_the_log_head_is_read_only_after_an_interval_that_heard_of_no_newer_seq(
    tmp_path: Path, brokers: Callable[[], Broker], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with ana_and_bob(tmp_path, brokers) as (a, ana, b, _bob, store):
        looks: list[str] = []
        seq_at = store.seq_at

        async def looked(room: str, ts: float) -> int:
            looks.append(room)
            return await seq_at(room, ts)

        monkeypatch.setattr(store, "seq_at", looked)
        await b.feed.upkeep(b.clock())
        assert len(looks) == 1  # the first look
        for word in ("busy ", "room "):  # a newer seq each interval: no look needed
            await a.send(ana, encode_sync_update(ana.edit(word)))
            await settle(a, b)
            b.clock.advance(HEAD_CHECK)
            await b.feed.upkeep(b.clock())
        assert len(looks) == 1
        # Logged by a process that died before publishing it: a quiet interval, then a look.
        seq = await store.append(ROOM, _typed("never published"), "ana", [555])
        b.clock.advance(HEAD_CHECK)
        await b.feed.upkeep(b.clock())
        assert len(looks) == 2
        b.clock.advance(1.0)  # the gap's grace
        await b.feed.upkeep(b.clock())
        assert b.room.last_seq == seq
        assert "never published" in str(b.room.doc.get("scratch", type=Text))


async def test_a_client_id_is_one_person_s_across_processes(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with two_processes(tmp_path, brokers) as (a, b, store):
        ana = await a.join("ana", 4242)
        mallory = await b.join("mallory", 4242)  # ana's client id, seen in her awareness
        await a.send(ana, encode_sync_update(ana.edit("mine")))
        # B has not heard of ana's edit yet when mallory writes under her id.
        await b.feed.close()
        with pytest.raises(AuthError, match="belongs to another person"):
            await b.room.receive(mallory.peer, encode_sync_update(mallory.edit("not yours")))
        assert "not yours" not in str(a.room.doc.get("scratch", type=Text))
        assert not any(r.user_id == "mallory" for r in await store.records(ROOM))


async def test_awareness_crosses_over_and_expires_when_not_renewed(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with ana_and_bob(tmp_path, brokers) as (a, ana, b, bob, _store):
        state: dict[str, object] = {"user": {"name": "Ana"}, "cell": "code-3"}
        payload = encode_awareness_update((AwarenessEntry(101, 1, state),))
        await a.send(ana, encode_awareness(payload))
        await settle(a, b)
        (shown,) = [m for m in bob.read() if isinstance(m, AwarenessMessage)]
        assert shown.entries[0].client_id == 101
        assert shown.entries[0].state is not None
        assert shown.entries[0].state["cell"] == "code-3"
        carl = await b.join("carl", 103)  # a newcomer on B sees ana too
        assert 101 in {e.client_id for m in _awareness(carl.frames) for e in m.entries}
        b.clock.advance(29.0)
        await b.feed.upkeep(b.clock())
        assert not [m for m in bob.read() if isinstance(m, AwarenessMessage)]
        b.clock.advance(1.5)
        await b.feed.upkeep(b.clock())
        await settle(b)
        (gone,) = [m for m in bob.read() if isinstance(m, AwarenessMessage)]
        assert gone.entries == (AwarenessEntry(101, 2, None),)


def _awareness(frames: list[bytes]) -> list[AwarenessMessage]:
    messages = [decode_message(frame) for frame in frames]
    return [m for m in messages if isinstance(m, AwarenessMessage)]


def _typed(text: str) -> bytes:
    doc: Doc[Any] = Doc(client_id=555)
    doc.get("scratch", type=Text).insert(0, text)
    return doc.get_update()


async def test_one_process_at_a_time_keeps_the_notebook_file(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with two_processes(tmp_path, brokers) as (a, b, _store):
        assert a.files is not None
        assert b.files is not None
        assert a.files.active
        assert not b.files.active
        ana = await a.join("ana", 101)
        await a.send(ana, encode_sync_update(type_in_first_cell(ana.doc, "typed on A ")))
        await settle(a, b)
        path = tmp_path / "demo.ipynb"
        before = path.read_bytes()
        assert not await b.files.save()  # B has the edit too, but does not keep the file
        assert path.read_bytes() == before
        assert await a.files.save()
        assert "typed on A" in path.read_text()
        await b.files.poll()  # B does not read A's save back as an outside edit
        assert first_source(b.room.doc).count("typed on A") == 1
        await a.feed.close()  # A unloads the room: B takes the file over
        b.clock.advance(3.0)
        await b.feed.upkeep(b.clock())
        assert b.feed.files_held
        assert b.files.active
        bob = await b.join("bob", 102)
        await b.send(bob, encode_sync_update(type_in_first_cell(bob.doc, "then on B ")))
        assert await b.files.save()
        assert path.read_text().count("typed on A") == 1
        assert "then on B" in path.read_text()


def type_in_first_cell(doc: Doc[Any], text: str) -> bytes:
    before = doc.get_state()
    source = doc.get("cells", type=Array)[0]["source"]
    source.insert(0, text)
    return doc.get_update(before)


def first_source(doc: Doc[Any]) -> str:
    return str(doc.get("cells", type=Array)[0]["source"])


async def test_a_page_coming_from_another_process_is_admitted_once_this_one_read_the_log(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with two_processes(tmp_path, brokers) as (a, b, _store):
        await b.feed.close()  # B hears nothing of what follows
        ana = await a.join("ana", 101)
        await a.send(ana, encode_sync_update(ana.edit("ana's ")))
        bob_on_a = await a.join("bob", 102)
        await a.send(bob_on_a, encode_sync_update(bob_on_a.edit("bob's")))
        # A goes away; Bob's page reconnects to B and sends all it has, Ana's edit included,
        # which B lacks: refused as another person's unless B reads the log first.
        bob = await b.join("bob", 103)
        await b.send(bob, encode_sync_step2(bob_on_a.doc.get_update()))
        assert str(b.room.doc.get("scratch", type=Text)) == "ana's bob's"
        assert b.room.last_seq == a.room.last_seq


@pytest.mark.parametrize("make", [legacy_json_update, half_appliable_update])
async def test_a_logged_update_this_process_cannot_apply_is_not_held_and_the_room_reloads(
    tmp_path: Path, brokers: Callable[[], Broker], make: Callable[[int], bytes]
) -> None:
    # The log holds only what the logging process's pycrdt took whole; another process may
    # fail on it (another pycrdt, mid rolling upgrade). Held anyway, a snapshot taken there
    # would cover its seq without it (the log then pruned under it: the update gone).
    async with ana_and_bob(tmp_path, brokers) as (_a, _ana, b, bob, store):
        update = make(555)
        seq = await store.append(ROOM, update, "ana", [555])
        frame = encode_sync_update(update)
        b.feed.deliver([DocEntry(seq, frame, "ana", (555,))])
        await settle(b)
        assert b.room.last_seq < seq  # not taken as in the document
        assert b.room.lost is not None  # reloaded from the log at the next join
        assert frame not in bob.end.unread()  # not relayed: bob would hold what b's room lacks
        b.clock.advance(1.0)
        await b.feed.upkeep(b.clock())  # the gap is read from the log: still not held
        assert b.room.last_seq < seq


async def test_a_room_lost_here_takes_no_more_of_the_others_updates(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    # Lost (a logged update it could not apply, a fence): the room reloads from the log,
    # which has what the others logged; applied and relayed meanwhile, it would go to peers
    # being closed, on top of a document that lacks an update.
    async with ana_and_bob(tmp_path, brokers) as (a, ana, b, bob, _store):
        b.room.lose("the logged update 9 cannot be applied on this server process")
        frame = encode_sync_update(ana.edit("after"))
        await a.send(ana, frame)
        await settle(a, b)
        assert str(b.room.doc.get("scratch", type=Text)) == ""
        assert frame not in bob.end.unread()


async def test_an_edit_on_top_of_what_waited_behind_another_process_skip_is_taken(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    # ana's update with a skip is logged on A and applied on B, where the struct past the
    # skip waits; her second tab, on B, then sends the skipped clocks, which integrate it
    # too: B's state vector must follow its document, or bob's edit typed after it is
    # refused as one made on content the room lacks.
    async with ana_and_bob(tmp_path, brokers) as (a, ana, b, bob, _store):
        first, middle, last = ana.edit("a"), ana.edit("bc"), ana.edit("d")
        await a.send(ana, encode_sync_update(merge_updates(first, last)))
        await settle(a, b)
        assert b.room.waiting  # 'd', behind the skip
        tab = await b.join("ana", 103)
        await b.send(tab, encode_sync_update(middle))
        await settle(a, b)
        assert b.room.state_vector == decode_state_vector(b.room.doc.get_state())
        assert not a.room.waiting  # came in the update from B's feed, with what it waited for
        assert not b.room.waiting
        bob.read()
        assert bob.text() == "abcd"
        await b.send(bob, encode_sync_update(bob.edit("e")))
        await settle(a, b)
        assert str(b.room.doc.get("scratch", type=Text)) == "abcde"
