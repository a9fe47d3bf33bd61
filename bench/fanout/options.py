"""The command line of the fan-out bench, parsed into one frozen Options."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from servers import SERVERS

SECTIONS = ("fanout", "durable", "join", "memory", "stuck", "rooms")
USAGE = """The fan-out bench: stock Node y-websocket clients against the Node reference server,
pycrdt-websocket and pairbook, side by side, in one command.

Prints one table per section and writes everything to bench/results/fanout-<time>.json.
See bench/fanout/README.md for how to read the figures.
"""


@dataclass(frozen=True)
class Options:
    """What one invocation measures, and how."""

    sizes: list[int]
    edits: int
    rate: float
    servers: list[str]
    sections: list[str]
    pairbook_store: str
    client_workers: int  # 0: automatic
    durable_n: int
    joins: int
    rooms: int
    repeat: int
    settle_ms: int  # quiet time before timing (fan-out) and before reading RSS (memory)
    client_deflate: bool
    deflate_pass: bool  # re-run without deflate the servers that negotiated it
    keep: bool
    stuck_edits: int  # 8 KB updates sent in the stuck-peer section (at 200/s)
    many_rooms: int  # rooms of 4 clients in the many-rooms section
    many_edits: int  # characters each of those clients types (1 a second)


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=USAGE, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", help="room sizes N, comma-separated (default 2,10,50,200)")
    parser.add_argument("--edits", type=int, help="characters typed per run (default 200)")
    parser.add_argument("--rate", type=float, default=100.0, help="edits per second")
    parser.add_argument("--servers", default=",".join(SERVERS), help="servers, comma-separated")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"any of {','.join(SECTIONS)}"
    )
    parser.add_argument("--pairbook-store", choices=["memory", "sqlite"], default="sqlite")
    parser.add_argument(
        "--client-workers",
        type=int,
        default=0,
        help="reader worker threads per run (default 1: on 2 cores more is slower, see README)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each fan-out measurement K times and show the run with the median p50",
    )
    parser.add_argument(
        "--no-client-deflate",
        action="store_true",
        help="clients do not offer permessage-deflate (stock ws and browsers do)",
    )
    parser.add_argument(
        "--stuck-edits", type=int, help="8 KB updates in the stuck-peer section (default 2000)"
    )
    parser.add_argument("--many-rooms", type=int, help="rooms of 4 clients (default 500)")
    parser.add_argument(
        "--many-edits", type=int, help="characters each many-rooms client types (default 10)"
    )
    parser.add_argument("--joins", type=int, help="timed joins in the join section (default 5)")
    parser.add_argument("--quick", action="store_true", help="N=2,10, 50 edits: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (server logs)")
    args = parser.parse_args(argv)
    servers = [s for s in args.servers.split(",") if s]
    sections = [s for s in args.sections.split(",") if s]
    for name in servers:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}; pick from {','.join(SERVERS)}")
    for name in sections:
        if name not in SECTIONS:
            parser.error(f"unknown section {name!r}; pick from {','.join(SECTIONS)}")
    default_sizes = "2,10" if args.quick else "2,10,50,200"
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    if any(n < 2 for n in sizes):
        parser.error("every N must be at least 2 (one writer, one reader)")
    return Options(
        sizes=sizes,
        edits=args.edits or (50 if args.quick else 200),
        rate=args.rate,
        servers=servers,
        sections=sections,
        pairbook_store=args.pairbook_store,
        client_workers=args.client_workers,
        durable_n=10 if args.quick else 50,
        joins=args.joins or (3 if args.quick else 5),
        rooms=10 if args.quick else 20,
        repeat=max(1, args.repeat),
        settle_ms=500 if args.quick else 2000,
        client_deflate=not args.no_client_deflate,
        deflate_pass=not args.quick,
        keep=args.keep,
        stuck_edits=args.stuck_edits or (400 if args.quick else 2000),
        many_rooms=args.many_rooms or (50 if args.quick else 500),
        many_edits=args.many_edits or (5 if args.quick else 10),
    )
