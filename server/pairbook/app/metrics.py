"""Prometheus metrics of a pairbook server, read from the rooms and the store at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from pairbook.cluster import Forwarder
from pairbook.notebook.listing import NotebookListing
from pairbook.rooms import Rooms
from pairbook.store.port import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


ROOM_COUNTERS: tuple[tuple[str, str, str], ...] = (
    # (metric, help, attribute of the rooms' counters)
    ("pairbook_updates", "Document updates accepted", "updates"),
    ("pairbook_update_bytes", "Bytes of accepted updates", "update_bytes"),
    ("pairbook_relayed_frames", "Frames queued to peers", "relayed_frames"),
    ("pairbook_awareness_updates", "Awareness updates relayed", "awareness_updates"),
    ("pairbook_refused_updates", "Updates refused (permissions, history)", "refused_updates"),
    (
        "pairbook_echoed_updates",
        "Updates a peer sent back unchanged, recognised without decoding",
        "echoes",
    ),
    (
        "pairbook_unappliable_updates",
        "Updates refused because pycrdt could not apply them (never logged)",
        "unappliable_updates",
    ),
    (
        "pairbook_skipped_records",
        "Log records skipped while loading a room because pycrdt could not apply them",
        "skipped_records",
    ),
)


class _RoomsCollector(Collector):
    def __init__(self, rooms: Rooms, store: Store) -> None:
        self._rooms = rooms
        self._store = store

    def collect(self) -> Iterator[Metric]:
        rooms = list(self._rooms)
        counters = self._rooms.counters
        yield GaugeMetricFamily("pairbook_rooms", "Open rooms", value=len(rooms))
        yield GaugeMetricFamily(
            "pairbook_kept_kernels",
            "Live kernels kept for rooms that unloaded",
            value=len(self._rooms.kept),
        )
        yield GaugeMetricFamily(
            "pairbook_peers", "Connected peers", value=sum(len(r.peers) for r in rooms)
        )
        depth = max((p.queue_depth for r in rooms for p in r.peers), default=0)
        yield GaugeMetricFamily(
            "pairbook_send_queue_depth_max", "Deepest per-peer send queue, in frames", value=depth
        )
        buffered = max((p.buffered_bytes for r in rooms for p in r.peers), default=0)
        yield GaugeMetricFamily(
            "pairbook_send_buffer_bytes_max",
            "Most bytes waiting to reach one peer (bounded by --send-buffer)",
            value=buffered,
        )
        for name, text, attribute in ROOM_COUNTERS:
            yield CounterMetricFamily(name, text, value=getattr(counters, attribute))
        relay = counters.relay
        yield HistogramMetricFamily(
            "pairbook_relay_latency_seconds",
            "Time from receiving an update to queueing it for every peer, log write included",
            buckets=relay.cumulative(),
            sum_value=relay.total,
        )
        disconnects = CounterMetricFamily(
            "pairbook_disconnects", "Connections closed, by reason", labels=["reason"]
        )
        for reason, count in sorted(counters.disconnects.items()):
            disconnects.add_metric([reason], count)
        yield disconnects
        yield from self._store_metrics()
        yield from self._broker_metrics()

    def _broker_metrics(self) -> Iterator[Metric]:
        broker = self._rooms.broker
        if broker is None:
            return
        stats = broker.stats()
        for name, text, value in (
            ("published", "Entries appended for the other processes", stats.published),
            ("delivered", "Entries of other processes handed to this one's rooms", stats.delivered),
            ("dropped", "Entries given up on while the broker was unreachable", stats.dropped),
            ("reconnects", "Times the broker connection was lost", stats.reconnects),
        ):
            yield CounterMetricFamily(f"pairbook_broker_{name}", text, value=value)
        yield GaugeMetricFamily(
            "pairbook_broker_pending", "Entries waiting to be appended", value=stats.pending
        )
        yield GaugeMetricFamily(
            "pairbook_broker_connected", "1 while the broker answers", value=int(stats.connected)
        )

    def _store_metrics(self) -> Iterator[Metric]:
        stats = self._store.stats()
        yield GaugeMetricFamily(
            "pairbook_store_pending", "Log appends waiting for commit", value=stats.pending
        )
        yield CounterMetricFamily(
            "pairbook_store_commits", "Store commits (group-commit batches)", value=stats.commits
        )
        yield GaugeMetricFamily(
            "pairbook_store_last_commit_seconds",
            "Duration of the last store commit",
            value=stats.last_commit_seconds,
        )


class _ListingCollector(Collector):
    def __init__(self, listing: NotebookListing) -> None:
        self._listing = listing

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "pairbook_notebook_parses",
            "Notebook files parsed for the listing (the rest came from its cache)",
            value=self._listing.parses,
        )


class _ForwarderCollector(Collector):
    def __init__(self, forwarder: Forwarder) -> None:
        self._forwarder = forwarder

    def collect(self) -> Iterator[Metric]:
        forwarder = self._forwarder
        yield GaugeMetricFamily(
            "pairbook_forwarded_answering",
            "Commands of other processes being answered here now",
            value=forwarder.answering,
        )
        yield CounterMetricFamily(
            "pairbook_forwarded_refused",
            "Commands of other processes refused because too many were being answered",
            value=forwarder.refused,
        )


class Metrics:
    """The server's metric registry."""

    def __init__(
        self,
        rooms: Rooms,
        store: Store,
        listing: NotebookListing | None = None,
        forwarder: Forwarder | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_RoomsCollector(rooms, store))
        if listing is not None:
            self.registry.register(_ListingCollector(listing))
        if forwarder is not None:
            self.registry.register(_ForwarderCollector(forwarder))

    def render(self) -> bytes:
        return generate_latest(self.registry)
