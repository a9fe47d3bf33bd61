"""The update guard: decides whether a peer's Yjs update may enter the room.

Pure: it looks at a decoded update, the room's state vector and its client-id claims.
Rules (the first that fails wins):

- Structs the room already has (below its state vector) are harmless duplicates.
- New structs must be written under client ids this user owns, or under ids nobody owns
  yet (they become this user's): a connection cannot write as another person or as the
  server.
- Every struct and deletion must refer only to content the room has or the same update
  brings. Otherwise the peer holds a document from a history this server does not have
  (say the store was lost and the notebook rebuilt from its file): merging it would
  duplicate cells, so the peer is told to reload instead.
- The history marker (`pairbook` root map) arriving from a peer means exactly that too.
- Pairbook's own maps (kernel, executions, mob) are written by the server only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pairbook.errors import AuthError, HistoryError
from pairbook.protocol.update import ID, StructKind, UpdateSummary
from pairbook.rooms.protected import ProtectedRanges
from pairbook.schema import PAIRBOOK_MAP, PROTECTED_ROOTS, is_server_author
from pairbook.types import value


@value
class Admission:
    """What the guard found in an admissible update."""

    new_client_ids: frozenset[int]
    """Client ids that wrote new structs in this update."""

    claims: frozenset[int]
    """Of those, the ids nobody owned yet: they become the user's."""

    @property
    def changes_content(self) -> bool:
        return bool(self.new_client_ids)


def admit_update(
    summary: UpdateSummary,
    state_vector: Mapping[int, int],
    claims: Mapping[int, str],
    user_id: str,
    protected: ProtectedRanges,
) -> Admission:
    """Check an update against the room; raise AuthError or HistoryError, else admit it."""
    ranges = summary.ranges()

    def known(ref: ID) -> bool:
        client, clock = ref
        if clock < state_vector.get(client, 0):
            return True
        span = ranges.get(client)
        return span is not None and span[0] <= clock < span[1]

    new_ids: set[int] = set()
    for struct in summary.structs:
        if struct.kind is StructKind.SKIP:
            continue
        have = state_vector.get(struct.client, 0)
        if struct.clock + struct.length <= have:
            continue  # a duplicate of what the room has
        if struct.clock > have and not known((struct.client, struct.clock - 1)):
            raise HistoryError(
                f"update skips content of client {struct.client} before clock {struct.clock} "
                "that this server does not have"
            )
        new_ids.add(struct.client)
        if struct.parent_root == PAIRBOOK_MAP:
            raise HistoryError("update carries the notebook history marker of another history")
        if struct.parent_root in PROTECTED_ROOTS:
            raise AuthError(f"the '{struct.parent_root}' map is written by the server only")
        for ref in (struct.origin, struct.right_origin, struct.parent_id):
            if ref is None:
                continue
            if not known(ref):
                raise HistoryError(
                    f"update refers to content ({ref[0]}, {ref[1]}) this server does not have"
                )
            if protected.contains(ref):
                raise AuthError("pairbook's own maps are written by the server only")

    if summary.delete_set:
        _check_deletions(summary, state_vector)

    new_claims: set[int] = set()
    for client in new_ids:
        owner = claims.get(client)
        if owner is None:
            new_claims.add(client)
        elif owner != user_id:
            who = "the server" if is_server_author(owner) else "another person"
            raise AuthError(f"client id {client} belongs to {who}; a peer writes only as itself")
    return Admission(frozenset(new_ids), frozenset(new_claims))


def _check_deletions(summary: UpdateSummary, state_vector: Mapping[int, int]) -> None:
    """HistoryError if the update deletes what the room does not have."""
    held = _held(summary, state_vector)
    for client, spans in summary.delete_set.items():
        for clock, length in spans:
            if length and not held(client, clock, clock + length):
                raise HistoryError(
                    f"update deletes content ({client}, {clock}) this server does not have"
                )


def _held(
    summary: UpdateSummary, state_vector: Mapping[int, int]
) -> Callable[[int, int, int], bool]:
    """Whether clocks [start, end) of a client are content the room has or the update
    itself brings: not a skip's gap, whose deletion the document would hold pending and
    apply only once another update fills the gap, unseen by whatever tried that one."""
    brought: dict[int, list[tuple[int, int]]] = {}
    for struct in summary.structs:
        if struct.kind is not StructKind.SKIP:
            brought.setdefault(struct.client, []).append(
                (struct.clock, struct.clock + struct.length)
            )

    def held(client: int, start: int, end: int) -> bool:
        cursor = max(start, 0)
        have = state_vector.get(client, 0)
        if cursor < have:
            cursor = have
        for first, last in sorted(brought.get(client, ())):
            if first <= cursor < last:
                cursor = last
        return cursor >= end

    return held
