"""The room's sync and admission state machine, pure: messages and a clock value in, effects
out. Updates are written by real pycrdt documents; nothing is applied, logged or sent."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from pairbook.auth import Role, User
from pairbook.errors import AuthError, HistoryError, ProtocolError
from pairbook.protocol.messages import (
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    encode_permission_denied,
    encode_sync_update,
)
from pairbook.protocol.update import EMPTY_UPDATE, decode_state_vector, decode_update
from pairbook.rooms import Peer, TokenBucket, echoes, effects, memory_channel_pair, sync
from pairbook.rooms.commits import capture_edit
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.echoes import KEPT_WHOLE, Echoes
from pairbook.rooms.effects import Answer, Apply, Broadcast, Commit, Effect, Refuse, Send
from pairbook.rooms.protected import ProtectedRanges
from pairbook.rooms.sync import VIEWER_PEEK_BYTES, DeleteSet, RoomSync, Shared
from pairbook.types import UserId

SERVER = 1
MARKER = 2
TIMEOUT = 15.0


def peer(name: str, role: Role = Role.EDITOR) -> Peer:
    user = User(UserId(name), name.title(), "#336699")
    channel = memory_channel_pair()[0]
    return Peer(name, user, role, channel, queue_limit=64, limiter=TokenBucket(1e9, 1 << 30))


class World:
    """A room's document (never touched by the machine) and the machine deciding for it."""

    def __init__(self) -> None:
        self.doc: Doc[Any] = Doc(client_id=SERVER)
        self.doc["source"] = self.text = Text("room")
        self.claims: dict[int, str] = {SERVER: "pairbook:server"}
        self.protected = ProtectedRanges()
        self.counters = RoomCounters()
        self.deletion_reads = 0
        self.sync = RoomSync(
            decode_state_vector(self.doc.get_state()),
            Shared(self.claims, self.protected, self.counters, self.deletions),
            marker_client=MARKER,
            sync_timeout=TIMEOUT,
        )

    def deletions(self) -> DeleteSet:
        self.deletion_reads += 1
        return decode_update(self.doc.get_update()).delete_set

    def server_edit(self, change: Callable[[], object]) -> bytes:
        """Make a change as the server does (one transaction), tell the machine; the update
        a pycrdt peer that applied it sends back (its own encoding of the same change)."""
        echo = self.replica(99)
        update = own_update(self.doc, change)
        self.sync.server_edit(SERVER, decode_state_vector(self.doc.get_state())[SERVER], update)
        sent: list[bytes] = []
        subscription = echo.observe(lambda event: sent.append(event.update))
        echo.apply_update(update)
        echo.unobserve(subscription)
        return sent[0]

    def replica(self, client: int) -> Doc[Any]:
        doc: Doc[Any] = Doc(client_id=client)
        doc.apply_update(self.doc.get_update())
        return doc

    def send(self, who: Peer, update: bytes, *, refusal: str | None = None) -> list[Effect]:
        """An update message as the shell hands it over: screened, then decoded."""
        message = SyncUpdate(update)
        effects = self.sync.screen(who, message)
        if effects is not None:
            return effects
        summary = decode_update(update)
        return self.sync.update(
            who, message, summary, frame=encode_sync_update(update), refusal=refusal
        )

    def take(self, effects: list[Effect]) -> list[Effect]:
        """Execute an Apply as the shell does when the document took it whole."""
        (apply,) = effects
        assert isinstance(apply, Apply)
        self.doc.apply_update(apply.update)
        return self.sync.applied(apply)


def own_update(doc: Doc[Any], change: Callable[[], object]) -> bytes:
    """The update of one transaction of `doc`, as y-websocket sends it (and as the room
    captures its own edits)."""

    def edit(_doc: Doc[Any]) -> None:
        change()

    update, error = capture_edit(doc, edit)
    assert update is not None
    assert error is None
    return update


def deletion_of(doc: Doc[Any], index: int) -> bytes:
    """Delete one character of the source: the update (a delete set, no struct)."""
    before = doc.get_state()
    del doc.get("source", type=Text)[index : index + 1]
    return doc.get_update(before)


def edit(doc: Doc[Any], text: str) -> bytes:
    before = doc.get_state()
    source = doc.get("source", type=Text)
    source.insert(len(source), text)
    return doc.get_update(before)


# -- step 1 ---------------------------------------------------------------------------------


def test_a_step1_the_room_covers_is_answered_at_once() -> None:
    world, ana = World(), peer("ana")
    state = world.replica(10).get_state()
    assert world.sync.step1(ana, SyncStep1(state), now=0.0) == [Answer(ana, state)]
    assert world.sync.pending(ana) is None


def test_a_step1_naming_content_the_room_lacks_waits_until_its_sync_deadline() -> None:
    world, ana = World(), peer("ana")
    mine = world.replica(10)
    edit(mine, "!")
    assert world.sync.step1(ana, SyncStep1(mine.get_state()), now=100.0) == []
    pending = world.sync.pending(ana)
    assert pending is not None
    assert pending.deadline == 100.0 + TIMEOUT
    assert world.sync.expired(100.0 + TIMEOUT) == []
    assert world.sync.expired(100.0 + TIMEOUT + 0.1) == [ana]
    world.sync.leave(ana)
    assert world.sync.expired(1e9) == []


def test_a_pending_peer_is_answered_once_its_step2_is_applied() -> None:
    world, ana = World(), peer("ana")
    mine = world.replica(10)
    edit(mine, " and mine")
    world.sync.step1(ana, SyncStep1(mine.get_state()), now=0.0)
    update = mine.get_update(world.doc.get_state())
    message = SyncStep2(update)
    assert world.sync.screen(ana, message) is None
    (apply,) = world.sync.update(ana, message, decode_update(update), frame=None, refusal=None)
    assert isinstance(apply, Apply)
    assert apply.frame == encode_sync_update(update)  # a step 2 is relayed as an update
    world.doc.apply_update(update)
    effects = world.sync.applied(apply)
    assert effects == [
        Commit(update, UserId("ana"), (10,), Broadcast(encode_sync_update(update), ana)),
        Answer(ana, mine.get_state()),
    ]
    assert world.sync.pending(ana) is None
    assert world.sync.expired(1e9) == []


def test_a_resync_carrying_deletions_nobody_sent_is_no_news() -> None:
    """Bob types into a cell while Ana deletes it: the room deletes Bob's text as it
    arrives (no update says so), and so does Bob's page once it has Ana's deletion. Bob's
    resync (step 2, his whole delete set) is then old news, not a no-op to log and relay."""
    world, ana, bob = World(), peer("ana"), peer("bob")
    world.server_edit(lambda: world.doc.__setitem__("cells", Array([Map({"source": Text("abc")})])))
    hers, his = world.replica(10), world.replica(20)
    cells: Array[Any] = hers.get("cells", type=Array)
    gone = own_update(hers, lambda: cells.__delitem__(0))
    world.take(world.send(ana, gone))
    source: Text = his.get("cells", type=Array)[0]["source"]
    typed = own_update(his, lambda: source.insert(3, "x"))
    world.take(world.send(bob, typed))
    his.apply_update(gone)
    step2 = his.get_update(world.doc.get_state())
    world.sync.step1(bob, SyncStep1(his.get_state()), now=0.0)
    message = SyncStep2(step2)
    effects = world.sync.update(bob, message, decode_update(step2), frame=None, refusal=None)
    assert not any(isinstance(effect, Apply) for effect in effects)


def test_a_malformed_state_vector_is_refused() -> None:
    world, ana = World(), peer("ana")
    (refuse,) = world.sync.step1(ana, SyncStep1(b"\x01\x01"), now=0.0)
    assert isinstance(refuse, Refuse)
    assert isinstance(refuse.error, ProtocolError)


# -- an editor's updates --------------------------------------------------------------------


def test_an_editors_news_is_applied_claimed_committed_then_its_echo_skipped() -> None:
    world, ana = World(), peer("ana")
    update = edit(world.replica(10), "!")
    effects = world.send(ana, update)
    assert effects == [
        Apply(
            ana, update, encode_sync_update(update), (10,), frozenset({10}), decode_update(update)
        )
    ]
    assert world.claims[10] == "ana"
    assert world.take(effects) == [
        Commit(update, UserId("ana"), (10,), Broadcast(encode_sync_update(update), ana))
    ]
    assert world.sync.state_vector[10] == 1
    world.sync.relayed(update)
    assert world.sync.screen(ana, SyncUpdate(update)) == []
    assert world.counters.echoes == 1


def test_an_update_holding_nothing_new_is_skipped() -> None:
    world, ana = World(), peer("ana")
    mine = world.replica(10)
    update = edit(mine, "!")
    world.take(world.send(ana, update))
    assert world.send(ana, update) == []  # not relayed by the room: decoded, found old
    assert world.send(ana, EMPTY_UPDATE) == []


def test_writing_under_another_persons_client_id_is_refused() -> None:
    world, ana, bob = World(), peer("ana"), peer("bob")
    mine = world.replica(10)
    world.take(world.send(ana, edit(mine, "a")))
    (refuse,) = world.send(bob, edit(mine, "b"))
    assert isinstance(refuse, Refuse)
    assert isinstance(refuse.error, AuthError)
    assert "belongs to another person" in refuse.reason


def test_an_update_from_another_history_is_refused() -> None:
    world, ana = World(), peer("ana")
    stranger: Doc[Any] = Doc(client_id=11)
    stranger["source"] = Text("x")
    stranger.get("source", type=Text).insert(1, "y")
    update = stranger.get_update(stranger.get_state())  # empty
    assert world.send(ana, update) == []
    before = stranger.get_state()
    stranger.get("source", type=Text).insert(2, "z")
    (refuse,) = world.send(ana, stranger.get_update(before))
    assert isinstance(refuse, Refuse)
    assert isinstance(refuse.error, HistoryError)


def test_deleting_what_the_server_protects_is_refused_unless_already_deleted() -> None:
    world, ana = World(), peer("ana")
    world.protected.add(SERVER, 0, 4)
    mine = world.replica(10)
    before = mine.get_state()
    del mine.get("source", type=Text)[0:2]
    update = mine.get_update(before)
    (refuse,) = world.send(ana, update)
    assert isinstance(refuse, Refuse)
    assert isinstance(refuse.error, AuthError)
    # The room deleted the same itself (a server edit): the deletion is old news.
    before_server = world.doc.get_state()
    world.server_edit(lambda: world.text.__delitem__(slice(0, 2)))
    assert world.doc.get_state() == before_server  # a deletion writes no struct
    assert world.send(ana, update) == []


def test_the_delete_set_is_read_once_then_kept_up_to_date_by_each_change() -> None:
    """Reading the document's delete set costs the whole history's deletions: an echo of
    each change (pycrdt's provider re-encodes what it applies) must not read it again."""
    world, ana, bob = World(), peer("ana"), peer("bob")
    mine = world.replica(10)
    before = mine.get_state()
    del mine.get("source", type=Text)[0:1]
    update = mine.get_update(before)
    world.take(world.send(ana, update))
    assert world.send(ana, update) == []  # old news: the first question reads the document
    assert world.deletion_reads == 1
    for n in range(3):  # the server deletes, a peer echoes it; a peer deletes, another echoes
        echo = world.server_edit(lambda: world.text.__delitem__(slice(0, 1)))
        assert world.send(bob, echo) == []
        theirs = world.replica(20 + n)
        before = theirs.get_state()
        theirs.get("source", type=Text).insert(0, "x")
        world.take(world.send(ana, theirs.get_update(before)))
        world.take(world.send(ana, (gone := deletion_of(theirs, 0))))
        assert world.send(bob, gone) == []
    assert world.deletion_reads == 1


def test_an_unappliable_update_that_left_nothing_releases_its_claims() -> None:
    world, ana = World(), peer("ana")
    update = edit(world.replica(10), "!")
    (apply,) = world.send(ana, update)
    assert isinstance(apply, Apply)
    (refuse,) = world.sync.unappliable(apply, None, None, "a pycrdt failure")
    assert isinstance(refuse, Refuse)
    assert isinstance(refuse.error, ProtocolError)
    assert "cannot apply this update (a pycrdt failure)" in refuse.reason
    assert 10 not in world.claims
    assert world.counters.unappliable_updates == 1
    assert 10 not in world.sync.state_vector


def test_what_an_unappliable_update_left_in_the_document_is_committed() -> None:
    world, ana = World(), peer("ana")
    update = edit(world.replica(10), "!")
    (apply,) = world.send(ana, update)
    assert isinstance(apply, Apply)
    taken = b"taken"
    commit, refuse = world.sync.unappliable(apply, taken, {SERVER: 4, 10: 1}, "half-way")
    assert commit == Commit(taken, UserId("ana"), (10,), Broadcast(encode_sync_update(taken), ana))
    assert isinstance(refuse, Refuse)
    assert world.sync.state_vector == {SERVER: 4, 10: 1}
    assert world.claims[10] == "ana"


# -- refused edits --------------------------------------------------------------------------


def test_an_edit_the_gate_refuses_is_denied_and_the_peer_still_gets_the_room() -> None:
    world, ana = World(), peer("ana")
    mine = world.replica(10)
    edit(mine, "!")
    world.sync.step1(ana, SyncStep1(mine.get_state()), now=0.0)
    update = mine.get_update(world.doc.get_state())
    effects = world.send(ana, update, refusal="you are not the driver")
    assert effects == [
        Send(ana, encode_permission_denied("you are not the driver")),
        Answer(ana, mine.get_state()),
    ]
    assert world.counters.refused_updates == 1
    assert 10 not in world.claims


def test_a_document_holding_a_refused_edit_must_reload() -> None:
    world, ana, bob = World(), peer("ana"), peer("bob")
    mine = world.replica(10)
    refused = edit(mine, "!")
    world.send(ana, refused, refusal="you are not the driver")
    # The same client id writing on (a resync once it drives) still carries the refused edit.
    for who in (ana, bob):
        (refuse,) = world.send(who, mine.get_update(world.doc.get_state()))
        assert isinstance(refuse, Refuse)
        assert isinstance(refuse.error, HistoryError)
    # The refused connection's news under a new client id is refused too.
    (refuse,) = world.send(ana, edit(world.replica(12), "?"))
    assert isinstance(refuse, Refuse)
    # Another connection under another client id writes on.
    (apply,) = world.send(bob, edit(world.replica(13), "?"))
    assert isinstance(apply, Apply)


def test_a_gate_refusal_of_old_news_sends_no_denial() -> None:
    world, ana = World(), peer("ana")
    assert world.send(ana, EMPTY_UPDATE, refusal="you are not the driver") == []
    assert world.counters.refused_updates == 0


# -- viewers --------------------------------------------------------------------------------


def test_a_viewers_news_is_denied_without_decoding_and_it_still_gets_the_room() -> None:
    world, vic = World(), peer("vic", Role.VIEWER)
    mine = world.replica(20)
    edit(mine, "!")
    world.sync.step1(vic, SyncStep1(mine.get_state()), now=0.0)
    update = mine.get_update(world.doc.get_state())
    assert world.sync.screen(vic, SyncUpdate(update)) == [
        Send(vic, encode_permission_denied("viewers cannot edit this notebook")),
        Answer(vic, mine.get_state()),
    ]
    assert world.counters.refused_updates == 1
    assert 20 not in world.claims


def test_a_viewers_empty_or_old_update_is_no_news() -> None:
    world, vic = World(), peer("vic", Role.VIEWER)
    assert world.sync.screen(vic, SyncUpdate(EMPTY_UPDATE)) == []
    assert world.sync.screen(vic, SyncUpdate(world.doc.get_update())) == []
    assert world.counters.refused_updates == 0


def test_a_large_viewer_update_is_news_without_a_look() -> None:
    world, vic = World(), peer("vic", Role.VIEWER)
    (deny,) = world.sync.screen(vic, SyncUpdate(b"\x00" * (VIEWER_PEEK_BYTES + 1))) or []
    assert isinstance(deny, Send)


def test_a_small_unreadable_viewer_update_is_refused() -> None:
    world, vic = World(), peer("vic", Role.VIEWER)
    (refuse,) = world.sync.screen(vic, SyncUpdate(b"\xff\xff\xff")) or []
    assert isinstance(refuse, Refuse)
    assert isinstance(refuse.error, ProtocolError)


def test_a_viewer_from_another_history_must_reload() -> None:
    world, vic = World(), peer("vic", Role.VIEWER)
    marked = World()
    marked.sync.server_edit(MARKER, 1, EMPTY_UPDATE)  # this history's marker is in the room
    stranger: Doc[Any] = Doc(client_id=30)
    stranger["source"] = Text("theirs")
    marked.sync.step1(vic, SyncStep1(stranger.get_state()), now=0.0)
    (refuse,) = marked.sync.screen(vic, SyncUpdate(EMPTY_UPDATE)) or []
    assert isinstance(refuse, Refuse)
    assert isinstance(refuse.error, HistoryError)
    # Without a marker in the room, every history is this one.
    world.sync.step1(vic, SyncStep1(stranger.get_state()), now=0.0)
    assert world.sync.screen(vic, SyncUpdate(EMPTY_UPDATE)) == [Answer(vic, stranger.get_state())]


def test_an_editor_update_is_decoded() -> None:
    world = World()
    assert world.sync.screen(peer("ana"), SyncUpdate(EMPTY_UPDATE)) is None


# -- server edits and echoes ----------------------------------------------------------------


def test_a_server_edit_advances_the_state_vector() -> None:
    world = World()
    world.sync.server_edit(SERVER, 9, EMPTY_UPDATE)
    assert world.sync.state_vector[SERVER] == 9
    world.sync.server_edit(SERVER, 3, EMPTY_UPDATE)  # never backwards
    assert world.sync.state_vector[SERVER] == 9


def test_echoes_remember_the_last_relayed_updates_only() -> None:
    echoes = Echoes(kept=2)
    for update in (b"1", b"2", b"3"):
        echoes.remember(update)
    assert b"1" not in echoes
    assert b"2" in echoes
    assert b"3" in echoes
    assert len(echoes) == 2


def test_echo_digests_are_keyed() -> None:
    long = b"x" * (KEPT_WHOLE + 1)
    assert long not in Echoes(key=b"k" * 16)
    keyed = Echoes(key=b"k" * 16)
    keyed.remember(long)
    other = Echoes(key=b"j" * 16)
    assert long in keyed
    assert long not in other


@pytest.mark.parametrize("size", [1, 30, KEPT_WHOLE, KEPT_WHOLE + 1, 5000])
def test_echoes_recognise_the_relayed_bytes_exactly(size: int) -> None:
    echoes = Echoes()
    update = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    echoes.remember(update)
    assert bytes(update) in echoes  # another object with the same bytes
    changed = update[:-1] + bytes([update[-1] ^ 1])
    assert changed not in echoes
    assert update[:-1] not in echoes
    assert bytearray(update) not in echoes  # only bytes, as frames are


def test_a_keystroke_is_kept_as_its_bytes_and_a_larger_update_as_a_digest() -> None:
    # A short update is looked up by Python's hash of its bytes and compared whole: no keyed
    # digest to compute twice per keystroke; a larger one is held as 16 bytes of digest.
    echoes = Echoes()
    short, long = b"k" * 30, b"l" * (KEPT_WHOLE + 1)
    echoes.remember(short)
    echoes.remember(long)
    entries = list(echoes._relayed)
    assert entries[0] == short
    assert isinstance(entries[1], int)
    assert entries[1] < 2**128


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_an_echo_settles_a_pending_peer(role: Role) -> None:
    world, who = World(), peer("ana", role)
    mine = world.replica(10)
    update = edit(mine, "!")
    ana = peer("ana")
    world.take(world.send(ana, update))
    world.sync.relayed(update)
    world.sync.step1(who, SyncStep1(mine.get_state()), now=0.0)  # covered now: answered
    assert world.sync.pending(who) is None
    later = World()
    later.sync.step1(who, SyncStep1(mine.get_state()), now=0.0)
    later.take(later.send(ana, update))
    later.sync.relayed(update)
    assert later.sync.screen(who, SyncUpdate(update)) == [Answer(who, mine.get_state())]


# -- purity ---------------------------------------------------------------------------------

NO_IO = ("asyncio", "threading", "concurrent", "pairbook.store", "pairbook.app")
"""What the machine's modules never import at run time (Peer is imported for types only)."""


@pytest.mark.parametrize("module", [sync, effects, echoes], ids=lambda m: m.__name__)
def test_the_machine_does_no_io(module: Any) -> None:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in tree.body:  # run-time imports only: not those under TYPE_CHECKING
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.add(node.module)
    forbidden = {name for name in imported if name.startswith(NO_IO)}
    forbidden |= imported & {"pairbook.rooms.room", "pairbook.rooms.peer", "pairbook.rooms.commits"}
    assert not forbidden
