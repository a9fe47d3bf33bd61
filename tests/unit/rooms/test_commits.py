"""Server edits captured as Yjs clients send theirs, and the commit of one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map, Text

from pairbook.errors import StoreError
from pairbook.protocol.update import decode_update
from pairbook.rooms.commits import CommitQueue, capture_edit, server_commit
from pairbook.rooms.effects import Broadcast, Commit
from pairbook.rooms.protected import ProtectedRanges
from pairbook.store import MemoryStore, SQLiteStore
from pairbook.types import SERVER_MAPS, UserId


def test_an_edit_that_changes_nothing_makes_no_update() -> None:
    doc: Doc[Any] = Doc()
    assert capture_edit(doc, lambda d: None) == (None, None)


def test_an_edit_that_fails_half_way_gives_what_it_wrote_and_its_error() -> None:
    doc: Doc[Any] = Doc(client_id=5)

    def edit(d: Doc[Any]) -> None:
        d.get("scratch", type=Text).insert(0, "kept")
        raise RuntimeError("half-way")

    update, error = capture_edit(doc, edit)
    assert isinstance(error, RuntimeError)
    assert update is not None
    replica: Doc[Any] = Doc()
    replica.apply_update(update)
    assert str(replica.get("scratch", type=Text)) == "kept"


def test_an_edit_carries_only_its_own_deletions() -> None:
    doc: Doc[Any] = Doc(client_id=5)
    text = doc.get("scratch", type=Text)
    text.insert(0, "abcdef")
    del text[0:2]
    update, _ = capture_edit(doc, lambda d: d.get("scratch", type=Text).insert(0, "x"))
    assert update is not None
    assert decode_update(update).delete_set == {}


def test_a_protected_edit_is_remembered_and_logged_under_server_maps() -> None:
    doc: Doc[Any] = Doc(client_id=5)
    ranges = ProtectedRanges()
    update, _ = capture_edit(doc, lambda d: d.get("kernel", type=Map).update({"status": "idle"}))
    assert update is not None
    made = server_commit(doc, update, UserId("pairbook:kernel"), 0, ranges, protected=True)
    assert made.commit.author == SERVER_MAPS
    assert made.commit.clients == (5,)
    assert made.end == 1
    assert ranges.contains((5, 0))
    plain = server_commit(doc, update, UserId("ana"), 0, ProtectedRanges(), protected=False)
    assert plain.commit.author == "ana"


async def test_a_commit_counts_as_in_flight_from_its_start_until_it_is_relayed() -> None:
    relayed: list[int] = []
    async with MemoryStore() as store:
        commits = CommitQueue("r", store, relay=lambda c, seq: relayed.append(seq),
                              lose=lambda why, code: None)  # fmt: skip
        doc: Doc[Any] = Doc(client_id=5)
        for text in ("a", "b"):

            def type_text(d: Doc[Any], t: str = text) -> None:
                d.get("t", type=Text).insert(0, t)

            update, _ = capture_edit(doc, type_text)
            assert update is not None
            commits.start(Commit(update, UserId("ana"), (5,), Broadcast(b"", None)))
        # Both are in the document and on their way: the newest change's log position is
        # the last relayed one plus these two, before either task has even run.
        assert commits.inflight == 2
        await commits.settle()
        assert commits.inflight == 0
        assert relayed == [1, 2]
        cancelled = commits.start(Commit(b"\x00\x00", UserId("ana"), (5,), Broadcast(b"", None)))
        cancelled.cancel()  # before it ran
        await commits.settle()
        assert commits.inflight == 0


def typed(doc: Doc[Any], text: str) -> Commit:
    update, _ = capture_edit(doc, lambda d: d.get("t", type=Text).insert(0, text))
    assert update is not None
    return Commit(update, UserId("ana"), (doc.client_id,), Broadcast(b"", None))


async def test_commits_to_a_group_commit_store_take_no_task_each(tmp_path: Path) -> None:
    """The hot path (issue #14, many rooms): with a store that hands out its write's future
    (`append_soon`), a commit is that future and a callback, not a task of its own."""
    relayed: list[int] = []
    async with SQLiteStore(tmp_path / "log.sqlite") as store:
        commits = CommitQueue("r", store, relay=lambda c, seq: relayed.append(seq),
                              lose=lambda *why: None)  # fmt: skip
        doc: Doc[Any] = Doc(client_id=5)
        tasks = len(asyncio.all_tasks())
        started = [commits.start(typed(doc, text)) for text in "abcdefgh"]
        assert len(asyncio.all_tasks()) == tasks
        # in flight until relayed (the first, committed by the loop, is relayed already)
        assert commits.inflight + len(relayed) == 8
        assert await asyncio.gather(*started) == list(range(1, 9))
        assert relayed == list(range(1, 9))
        assert commits.inflight == 0
        assert [record.seq for record in await store.records("r")] == relayed


async def test_a_commit_the_loop_logged_at_once_is_relayed_before_start_returns(
    tmp_path: Path,
) -> None:
    """Issue #14, fan-out p50: a lone append is committed by the event loop itself
    (store/lone.py), so its relay need not wait for the loop's next turn."""
    relayed: list[int] = []
    async with SQLiteStore(tmp_path / "log.sqlite") as store:
        commits = CommitQueue("r", store, relay=lambda c, seq: relayed.append(seq),
                              lose=lambda *why: None)  # fmt: skip
        started = commits.start(typed(Doc(client_id=5), "a"))
        assert relayed == [1]
        assert commits.inflight == 0
        assert await started == 1


async def test_a_commit_logged_at_once_is_still_relayed_after_those_started_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write answered by the writer thread has its relay scheduled on the loop; a lone
    append committed before that ran (in the same turn) is relayed after it, not at once."""
    relayed: list[bytes] = []
    async with SQLiteStore(tmp_path / "log.sqlite") as store:
        commits = CommitQueue("r", store, relay=lambda c, seq: relayed.append(c.update),
                              lose=lambda *why: None)  # fmt: skip
        append_soon = store.append_soon
        answered: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def as_the_thread(*args: Any, **kwargs: Any) -> Any:
            monkeypatch.setattr(store, "append_soon", append_soon)
            return answered

        monkeypatch.setattr(store, "append_soon", as_the_thread)
        doc: Doc[Any] = Doc(client_id=5)
        first, second = typed(doc, "a"), typed(doc, "b")
        commits.start(first)
        answered.set_result(1)  # its relay is scheduled, not run
        commits.start(second)  # a lone append: logged before start returns
        assert relayed == []
        await commits.settle()
        assert relayed == [first.update, second.update]


async def test_commits_started_behind_the_first_are_logged_in_the_order_started(
    tmp_path: Path,
) -> None:
    """Commits started while the room's first write is pending wait for it (a task each);
    those started once it is written but before the waiting ones are queued wait too."""
    relayed: list[bytes] = []
    async with SQLiteStore(tmp_path / "log.sqlite") as store:
        commits = CommitQueue("r", store, relay=lambda c, seq: relayed.append(c.update),
                              lose=lambda *why: None)  # fmt: skip
        doc: Doc[Any] = Doc(client_id=5)
        base = typed(doc, "base")
        release = asyncio.Event()

        async def first() -> int:
            await release.wait()
            return await store.append("r", base.update, "pairbook", (5,))

        written = commits.start_first(first)
        early = [typed(doc, text) for text in "ab"]
        for commit in early:
            commits.start(commit)
        release.set()
        await written  # logged; the two behind it are not yet
        late = [typed(doc, text) for text in "cd"]
        for commit in late:
            commits.start(commit)
        await commits.settle()
        logged = [record.update for record in await store.records("r")]
        assert logged == [base.update] + [c.update for c in early + late]
        assert relayed == [c.update for c in early + late]
        commits.start(typed(doc, "e"))  # every waiting one queued: the hot path again
        await commits.settle()
        assert len(relayed) == 5


async def test_a_write_cancelled_under_a_commit_loses_the_room_and_relays_nothing() -> None:
    """A store's write that ends cancelled (its task cancelled, not the commit: callers
    shield that) did not log the change the document holds: the room is lost like for a
    failed write, so it reloads from its log, and nothing of it or after it is relayed."""
    relayed: list[int] = []
    lost: list[str] = []
    async with MemoryStore() as store:  # a store without append_soon: a task per write
        commits = CommitQueue("r", store, relay=lambda c, seq: relayed.append(seq),
                              lose=lambda why, code: lost.append(why))  # fmt: skip
        doc: Doc[Any] = Doc(client_id=5)
        others = asyncio.all_tasks()
        started = commits.start(typed(doc, "a"))
        (write,) = asyncio.all_tasks() - others
        write.cancel()
        with pytest.raises(StoreError):
            await started
        assert lost == ["the server could not save a change"]
        after = commits.start(typed(doc, "b"))
        with pytest.raises(StoreError):
            await after
        assert relayed == []
        assert commits.inflight == 0


async def test_a_write_refused_at_once_stops_the_commits_made_in_the_same_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that refuses an append as it is asked (`append_soon` raising: a closed store,
    a failing BEGIN on the event loop) logged nothing: a commit started right behind it, in
    the same turn of the loop, is made on top of it and must not be logged either."""
    relayed: list[int] = []
    lost: list[str] = []
    async with SQLiteStore(tmp_path / "log.sqlite") as store:
        commits = CommitQueue("r", store, relay=lambda c, seq: relayed.append(seq),
                              lose=lambda why, code: lost.append(why))  # fmt: skip
        doc: Doc[Any] = Doc(client_id=5)
        append_soon = store.append_soon
        refused = [True]

        def refuse_once(*args: Any, **kwargs: Any) -> Any:
            if refused.pop() if refused else False:
                raise StoreError("disk I/O error")
            return append_soon(*args, **kwargs)

        monkeypatch.setattr(store, "append_soon", refuse_once)
        first = commits.start(typed(doc, "a"))
        behind = commits.start(typed(doc, "b"))  # the same turn: no callback has run yet
        for started in (first, behind):
            with pytest.raises(StoreError):
                await started
        assert await store.records("r") == []
        assert relayed == []
        assert set(lost) == {"the server could not save a change"}  # (once a failed commit)
