"""Presence identity across processes on a real Redis: a connection speaks only for Yjs
client ids no other connection speaks for, whichever process that connection is on (one
process alone already enforces it, tests/unit/rooms/test_presence.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pairbook.broker import Broker, open_broker
from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.messages import AwarenessMessage, decode_message, encode_awareness
from support.brokerkit import Client, Process, eventually, two_processes

pytestmark = pytest.mark.integration

BOB = 102


@pytest.fixture
def brokers(redis_url: str) -> Callable[[], Broker]:
    return lambda: open_broker(redis_url)


def shown(client: Client) -> dict[int, Any]:
    """The awareness states a client was sent, by client id, as a y-protocols client keeps
    them (a newer clock wins)."""
    client.read()
    table: dict[int, tuple[int, Any]] = {}
    for message in map(decode_message, client.frames):
        if isinstance(message, AwarenessMessage):
            for entry in message.entries:
                clock, _ = table.get(entry.client_id, (-1, None))
                if entry.clock >= clock:
                    table[entry.client_id] = (entry.clock, entry.state)
    return {client_id: state for client_id, (_, state) in table.items() if state is not None}


def user_of(state: Any) -> str | None:
    return state.get("user", {}).get("id") if isinstance(state, dict) else None


async def pass_time(*processes: Process) -> None:
    """Long enough for the broker to carry what was sent (Redis is local: well under 1 s)."""
    for _ in range(50):
        await eventually(lambda: True, processes=processes)
        await asyncio.sleep(0.02)


async def show(process: Process, client: Client, client_id: int, clock: int, state: Any) -> None:
    payload = encode_awareness_update((AwarenessEntry(client_id, clock, state),))
    await process.send(client, encode_awareness(payload))


async def test_a_peer_cannot_speak_for_a_client_id_shown_by_another_process(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with two_processes(tmp_path, brokers) as (a, b, _):
        bob = await b.join("bob", BOB)
        cy = await b.join("cy", 103)  # bob's colleague on the same process
        amy = await a.join("amy", 201)  # someone on the other process
        mallory = await a.join("mallory", 301)
        await show(b, bob, BOB, 1, {"cell": "c1"})
        await eventually(lambda: user_of(shown(amy).get(BOB)) == "bob", processes=(a, b))
        await eventually(lambda: BOB in a.feed.presence._slots, processes=(a, b))
        # mallory, on the other process, shows bob's client id with a far newer clock ...
        await show(a, mallory, BOB, 1 << 30, {"cell": "c666"})
        await pass_time(a, b)
        # Nobody, on either process, sees mallory in bob's place ...
        for client in (cy, amy):
            assert user_of(shown(client).get(BOB)) == "bob", client.peer.user.id
        # ... and bob goes on moving his cursor for everyone.
        await show(b, bob, BOB, 2, {"cell": "c2"})
        await eventually(lambda: shown(amy).get(BOB, {}).get("cell") == "c2", processes=(a, b))
        # Nor can she take his place away: her removal is not anyone's to relay.
        await show(a, mallory, BOB, (1 << 30) + 1, None)
        await pass_time(a, b)
        for client in (cy, amy):
            assert user_of(shown(client).get(BOB)) == "bob", client.peer.user.id


async def test_the_same_person_moving_to_another_process_keeps_their_client_id(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    """Without sticky sessions a reconnect lands anywhere: a browser keeps its Yjs client id,
    so its owner (the same user) may show it on the new process at once."""
    async with two_processes(tmp_path, brokers) as (a, b, _):
        bob = await b.join("bob", BOB)
        amy = await a.join("amy", 201)
        await show(b, bob, BOB, 1, {"cell": "c1"})
        await eventually(lambda: BOB in a.feed.presence._slots, processes=(a, b))
        moved = await a.join("bob", BOB)  # bob's browser, reconnected to process a
        await show(a, moved, BOB, 2, {"cell": "c2"})
        await eventually(lambda: shown(amy).get(BOB, {}).get("cell") == "c2", processes=(a, b))
        assert user_of(shown(amy)[BOB]) == "bob"
