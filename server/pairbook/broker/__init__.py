"""The broker: rooms' document updates and awareness carried between the processes of one
deployment (`pairbook serve --broker redis://…`).

`broker` knows room names, bytes and log seqs, not documents or websockets: the room core
(`rooms.feed`) publishes what a room accepted and applies what the others accepted. Back
ends are picked by URL with `open_broker` and imported lazily (redis only when asked for).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pairbook.broker.memory import MemoryBroker, MemoryHub
from pairbook.broker.port import (
    Broker,
    BrokerStats,
    DocEntry,
    Entry,
    PresenceEntry,
    SignalEntry,
    Subscriber,
)
from pairbook.errors import BrokerError

__all__ = [
    "Broker",
    "BrokerStats",
    "DocEntry",
    "Entry",
    "MemoryBroker",
    "MemoryHub",
    "PresenceEntry",
    "SignalEntry",
    "Subscriber",
    "open_broker",
]

ACCEPTED = "redis://host:port/db, rediss://… (TLS), unix:///path/to/redis.sock, or memory://"


def open_broker(url: str) -> Broker:
    """The broker a URL names, not yet connected (use `async with open_broker(url) as b:`).

    `redis://` (and `rediss://`, `unix://`) is a Redis server shared by the processes; a
    `?prefix=` query names the keys' prefix (default `pairbook:`). `memory://` is a broker
    of this process alone (tests, and a deployment of one)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "memory":
        return MemoryBroker()
    if scheme in ("redis", "rediss", "unix"):
        from pairbook.broker.redis import RedisBroker

        return RedisBroker(url)
    raise BrokerError(f"unknown broker URL {url!r}; use {ACCEPTED}")
