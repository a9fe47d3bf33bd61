"""The SQL of `PostgresStore`: one coroutine a statement group, over a connection it is given.

Writes run on the writer's connection inside its group-commit transaction (each in a
savepoint); reads run on a pooled connection inside one read-only repeatable-read transaction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection

from pairbook.store.records import Checkpoint, EventRecord, RoomLog, Stamp, UpdateRecord
from pairbook.store.rules import check_fence, check_prune, check_snapshot

Connection = AsyncConnection[Any]

ROOM_TABLES = (
    "pairbook_records", "pairbook_snapshots", "pairbook_meta", "pairbook_claims",
    "pairbook_events", "pairbook_checkpoints", "pairbook_logs",
)  # fmt: skip

# Appends a run of appends in one statement (so in one round trip): each room's counter in
# pairbook_logs moves on by the room's count of appends, under the row's lock (taken in room
# order, so that two writers never wait for each other in a circle), and the records take the
# numbers in the order they were queued. Client ids come as array literals ("{1,2}"), one a
# record. The first claim of a client id wins, also within the statement: a later row of the
# same id conflicts with the one the statement already inserted and is skipped.
APPEND_RECORDS = """
WITH batch AS (
    SELECT * FROM unnest(%s::text[], %s::float8[], %s::text[], %s::text[], %s::bytea[])
        WITH ORDINALITY AS b(room, ts, user_id, client_ids, "update", ord)
), counts AS (
    SELECT room, count(*) AS n FROM batch GROUP BY room
), allocated AS (
    INSERT INTO pairbook_logs AS logs (room, last_seq)
    SELECT room, n FROM counts ORDER BY room
    ON CONFLICT (room) DO UPDATE SET last_seq = logs.last_seq + excluded.last_seq
    RETURNING room, last_seq
), numbered AS (
    SELECT b.*, a.last_seq - c.n + row_number() OVER (PARTITION BY b.room ORDER BY b.ord) AS seq
    FROM batch b JOIN allocated a USING (room) JOIN counts c USING (room)
), records AS (
    INSERT INTO pairbook_records (room, seq, ts, user_id, client_ids, "update")
    SELECT room, seq, ts, user_id, client_ids::bigint[], "update" FROM numbered
), claims AS (
    INSERT INTO pairbook_claims (room, client_id, user_id)
    SELECT room, unnest(client_ids::bigint[]), user_id FROM numbered ORDER BY ord
    ON CONFLICT DO NOTHING
)
SELECT seq FROM numbered ORDER BY ord
"""
_SELECT_ROOMS = """
SELECT room FROM pairbook_logs
UNION SELECT room FROM pairbook_snapshots
UNION SELECT room FROM pairbook_meta
UNION SELECT room FROM pairbook_claims
UNION SELECT room FROM pairbook_checkpoints
ORDER BY room
"""

# --- writes ------------------------------------------------------------------------------


async def lock_fences(conn: Connection, rooms: Sequence[str]) -> dict[str, int]:
    """The rooms' fences, each row locked (made if missing) until the transaction ends, taken
    in room order as appends take theirs."""
    cursor = await conn.execute(
        "INSERT INTO pairbook_fences AS f (room, token) SELECT room, 0 FROM "
        "unnest(%s::text[]) AS r(room) ORDER BY room "
        "ON CONFLICT (room) DO UPDATE SET token = f.token RETURNING room, token",
        (list(rooms),),
    )
    return {room: int(token) for room, token in await cursor.fetchall()}


async def set_fences(conn: Connection, tokens: dict[str, int]) -> None:
    """Raise the fences of rooms locked by `lock_fences`."""
    if tokens:
        await conn.execute(
            "UPDATE pairbook_fences AS f SET token = GREATEST(f.token, t.token) FROM "
            "unnest(%s::text[], %s::bigint[]) AS t(room, token) WHERE f.room = t.room",
            (list(tokens), list(tokens.values())),
        )


async def raise_fence(conn: Connection, room: str, token: int) -> int:
    """Raise the room's fence to `token` (never lower it); the fence it had before."""
    before = (await lock_fences(conn, [room]))[room]
    await set_fences(conn, {room: token})
    return before


async def fence_write(conn: Connection, room: str, fence: int | None, doing: str) -> None:
    """A write of the room's owner: refused (FencedError, and the writer rolls the write
    back) below the room's fence, whose row stays locked until the commit; the fence is
    raised to the write's token otherwise."""
    if fence is not None:
        check_fence(room, fence, await raise_fence(conn, room, fence), doing)


async def last_seq(conn: Connection, room: str) -> int:
    cursor = await conn.execute("SELECT last_seq FROM pairbook_logs WHERE room = %s", (room,))
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def save_snapshot(
    conn: Connection, room: str, snapshot: bytes, upto_seq: int, ts: float,
    *, checkpoint: bool = False, fence: int | None = None, meta: dict[str, str] | None = None,
) -> None:  # fmt: skip
    """The room's snapshot (one a room, never moved back: `meta` is set with it only if it
    is kept) or one more replay checkpoint."""
    doing = "save a checkpoint of" if checkpoint else "save a snapshot of"
    await fence_write(conn, room, fence, doing)
    check_snapshot(room, upto_seq, await last_seq(conn, room))
    if checkpoint:
        await conn.execute(
            "INSERT INTO pairbook_checkpoints (room, upto_seq, ts, snapshot) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (room, upto_seq) DO UPDATE SET "
            "ts = excluded.ts, snapshot = excluded.snapshot",
            (room, upto_seq, ts, snapshot),
        )
        return
    cursor = await conn.execute(
        "INSERT INTO pairbook_snapshots AS s (room, upto_seq, snapshot, ts) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (room) DO UPDATE SET upto_seq = excluded.upto_seq, "
        "snapshot = excluded.snapshot, ts = excluded.ts WHERE excluded.upto_seq >= s.upto_seq "
        "RETURNING upto_seq",
        (room, upto_seq, snapshot, ts),
    )
    if await cursor.fetchone() is not None:  # kept (the row is locked until the commit)
        for key, value in (meta or {}).items():
            await set_meta(conn, room, key, value)


async def prune(
    conn: Connection, room: str, upto_seq: int, *, recording: bool = False,
    fence: int | None = None,
) -> int:  # fmt: skip
    """Delete the records the snapshot covers (with `recording`, the replay's checkpoints and
    events before them too); returns how many records went."""
    await fence_write(conn, room, fence, "prune the recording of" if recording else "prune")
    cursor = await conn.execute(
        "SELECT upto_seq FROM pairbook_snapshots WHERE room = %s FOR SHARE", (room,)
    )
    row = await cursor.fetchone()
    check_prune(room, upto_seq, int(row[0]) if row else 0)
    deleted = await conn.execute(
        "DELETE FROM pairbook_records WHERE room = %s AND seq <= %s", (room, upto_seq)
    )
    if recording:
        await conn.execute(
            "DELETE FROM pairbook_checkpoints WHERE room = %s AND upto_seq < %s", (room, upto_seq)
        )
        await conn.execute(
            "DELETE FROM pairbook_events WHERE room = %s AND seq < %s", (room, upto_seq)
        )
    return deleted.rowcount


async def set_meta(conn: Connection, room: str, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO pairbook_meta (room, key, value) VALUES (%s, %s, %s) "
        "ON CONFLICT (room, key) DO UPDATE SET value = excluded.value",
        (room, key, value),
    )


async def claim(conn: Connection, room: str, client_id: int, user_id: str) -> None:
    await conn.execute(
        "INSERT INTO pairbook_claims (room, client_id, user_id) VALUES (%s, %s, %s) "
        "ON CONFLICT DO NOTHING",
        (room, client_id, user_id),
    )


async def drop_room(conn: Connection, room: str) -> None:
    for table in ROOM_TABLES:  # pairbook_logs last: it is the lock appends to the room take
        await conn.execute(f"DELETE FROM {table} WHERE room = %s", (room,))


async def append_events(
    conn: Connection, room: str, events: Sequence[EventRecord], *, fence: int | None = None
) -> None:
    await fence_write(conn, room, fence, "write events of")
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO pairbook_events (room, seq, ts, kind, user_id, data) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(room, e.seq, e.ts, e.kind, e.user_id, e.data) for e in events],
        )


# --- reads -------------------------------------------------------------------------------


async def select_meta(conn: Connection, room: str) -> dict[str, str]:
    cursor = await conn.execute("SELECT key, value FROM pairbook_meta WHERE room = %s", (room,))
    return {key: value for key, value in await cursor.fetchall()}


async def load_room(conn: Connection, room: str) -> RoomLog | None:
    cursor = await conn.execute(
        "SELECT upto_seq, snapshot FROM pairbook_snapshots WHERE room = %s", (room,)
    )
    row = await cursor.fetchone()
    snapshot_seq, snapshot = (int(row[0]), bytes(row[1])) if row else (0, None)
    updates = tuple(await select_records(conn, room, snapshot_seq, None))
    meta = await select_meta(conn, room)
    cursor = await conn.execute(
        "SELECT client_id, user_id FROM pairbook_claims WHERE room = %s", (room,)
    )
    claims = {int(client_id): user_id for client_id, user_id in await cursor.fetchall()}
    if row is None and not updates and not meta and not claims:
        return None
    return RoomLog(snapshot, snapshot_seq, updates, meta, claims)


async def select_records(
    conn: Connection, room: str, after_seq: int, limit: int | None
) -> list[UpdateRecord]:
    cursor = await conn.execute(
        'SELECT seq, ts, user_id, client_ids, "update" FROM pairbook_records '
        "WHERE room = %s AND seq > %s ORDER BY seq LIMIT %s",
        (room, after_seq, limit),
    )
    return [
        UpdateRecord(room, int(seq), bytes(update), user_id, tuple(client_ids), ts)
        for seq, ts, user_id, client_ids, update in await cursor.fetchall()
    ]


async def select_rooms(conn: Connection) -> list[str]:
    cursor = await conn.execute(_SELECT_ROOMS)
    return [room for (room,) in await cursor.fetchall()]


async def select_events(
    conn: Connection,
    room: str,
    first_seq: int,
    last_seq: int | None,
    kinds: Sequence[str] | None,
) -> list[EventRecord]:
    cursor = await conn.execute(
        "SELECT seq, ts, kind, user_id, data FROM pairbook_events WHERE room = %s "
        "AND seq >= %s AND (%s::bigint IS NULL OR seq <= %s) "
        "AND (%s::text[] IS NULL OR kind = ANY(%s::text[])) ORDER BY id",
        (room, first_seq, last_seq, last_seq, kinds and list(kinds), kinds and list(kinds)),
    )
    return [EventRecord(room, *row) for row in await cursor.fetchall()]


async def find_checkpoint(conn: Connection, room: str, at_most_seq: int) -> Checkpoint | None:
    cursor = await conn.execute(
        "SELECT upto_seq, ts, snapshot FROM pairbook_checkpoints "
        "WHERE room = %s AND upto_seq <= %s ORDER BY upto_seq DESC LIMIT 1",
        (room, at_most_seq),
    )
    row = await cursor.fetchone()
    return None if row is None else Checkpoint(room, int(row[0]), row[1], bytes(row[2]))


async def checkpoint_seqs(conn: Connection, room: str) -> list[int]:
    cursor = await conn.execute(
        "SELECT upto_seq FROM pairbook_checkpoints WHERE room = %s ORDER BY upto_seq", (room,)
    )
    return [int(seq) for (seq,) in await cursor.fetchall()]


async def select_stamps(
    conn: Connection, room: str, after_seq: int, limit: int | None
) -> list[Stamp]:
    cursor = await conn.execute(
        "SELECT seq, ts, user_id FROM pairbook_records WHERE room = %s AND seq > %s "
        "ORDER BY seq LIMIT %s",
        (room, after_seq, limit),
    )
    return [Stamp(int(seq), ts, user_id) for seq, ts, user_id in await cursor.fetchall()]


async def seq_at(conn: Connection, room: str, ts: float) -> int:
    if ts == math.inf:  # the newest: straight from the primary key
        cursor = await conn.execute(
            "SELECT MAX(seq) FROM pairbook_records WHERE room = %s", (room,)
        )
    else:
        cursor = await conn.execute(
            "SELECT MAX(seq) FROM pairbook_records WHERE room = %s AND ts <= %s", (room, ts)
        )
    row = await cursor.fetchone()
    return int(row[0] or 0) if row else 0
