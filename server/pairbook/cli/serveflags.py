"""`pairbook serve`'s flags, and the Settings they make."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from pairbook.cli.envflags import apply_environment
from pairbook.cli.workspace import add_state_argument
from pairbook.settings import KernelSandbox, Settings
from pairbook.statedir import StateDir


def add_serve_parser(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the notebooks under a folder")
    _add_listening(serve)
    _add_rooms(serve)
    _add_limits(serve)
    _add_logs_and_kernels(serve)
    _add_recording(serve)
    _add_files(serve)
    apply_environment(serve, os.environ)  # PAIRBOOK_<FLAG> for every flag (cli/envflags.py)


def _add_listening(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("dir", nargs="?", type=Path, help="folder of notebooks (default: examples)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8888, help="0 picks a free port")
    serve.add_argument(
        "--store",
        help="log: a SQLite file path, memory:// or postgresql://user@host/db (several "
        "processes share one PostgreSQL store); default DIR/.pairbook/…",
    )
    add_state_argument(serve, environment=False)
    serve.add_argument(
        "--broker",
        help="rooms shared with other pairbook processes through this Redis "
        "(redis://host:6379/0; default none: this process alone)",
    )
    serve.add_argument(
        "--owner-lease", type=float, default=5.0, metavar="SECONDS",
        help="with --broker: how long a room's owner holds it without renewing; a dead "
        "owner's rooms move to another process within this (default 5)",
    )  # fmt: skip
    serve.add_argument(
        "--max-forwarded", type=positive_int, default=256, metavar="N",
        help="with --broker: commands of other processes this one answers at once; past "
        "it a forwarded command is refused (try again), not run (default 256)",
    )  # fmt: skip
    _add_choice(serve, "--server", ["uvicorn", "granian"], "ASGI server (uvicorn, with "
                "pairbook's own frame writes, is measured fastest; see bench/fanout)")  # fmt: skip
    serve.add_argument(
        "--owner-token",
        help="an owner token valid for this run only, never stored (default: a fresh owner "
        "link is minted and printed at each start; `pairbook token` mints more)",
    )
    serve.add_argument(
        "--owner-name",
        help="the owner's display name (default: the last one given, else `git config "
        "user.name`, else Owner)",
    )
    serve.add_argument(
        "--owner-email",
        help="the owner's email, for Co-authored-by trailers (default: the last one given, "
        "else `git config user.email`)",
    )
    _add_choice(serve, "--durability", ["normal", "full"], "normal survives a crash of "
                "pairbook; full also a power cut")  # fmt: skip
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        help="extra browser origin allowed to connect (repeatable)",
    )


MIB = 1024 * 1024

Number = tuple[str, type[int] | type[float], float, str]
"""A numeric flag: name, type, default, help."""

ROOM_NUMBERS: tuple[Number, ...] = (
    ("--autosave-delay", float, 1.0, "seconds of quiet before the notebook file is written"),
    ("--send-queue", int, 4096, "frames queued for a peer before it is disconnected as too slow"),
    ("--send-timeout", float, 10.0, "seconds one send may block before the peer is dropped as "
     "too slow"),
    ("--output-limit", int, 1_000_000, "bytes of output one run may keep in its cell before it "
     "is truncated"),
)  # fmt: skip

LIMIT_NUMBERS: tuple[Number, ...] = (
    ("--max-rate", float, 400.0, "messages per second one connection may send (bursts of 5 s "
     "worth)"),
    ("--max-frame", int, 64 * MIB, "largest websocket frame accepted, in bytes (Granian itself "
     "drops frames over 16 MiB: its limit is not configurable; uvicorn honours this one)"),
    ("--max-update", int, 8 * MIB, "largest document update one peer may send, in bytes (closed "
     "with 1009 beyond)"),
    ("--max-update-cells", int, 2000, "most new cells one update may add"),
    ("--max-update-structs", int, 50_000, "most Yjs structs and deleted ranges one update may "
     "hold"),
    ("--max-notebook", int, 64 * MIB, "largest notebook file opened or listed with its cells, "
     "in bytes"),
)  # fmt: skip


def _add_choice(serve: argparse.ArgumentParser, flag: str, choices: list[str], text: str) -> None:
    """A flag taking one of `choices`, the first by default."""
    serve.add_argument(flag, choices=choices, default=choices[0], help=text)


def _add_numbers(serve: argparse.ArgumentParser, numbers: tuple[Number, ...]) -> None:
    for flag, kind, default, text in numbers:
        serve.add_argument(flag, type=kind, default=default, help=text)


def _add_rooms(serve: argparse.ArgumentParser) -> None:
    _add_numbers(serve, ROOM_NUMBERS[:3])
    serve.add_argument(
        "--room-unload-delay",
        "--room-grace",  # the old name, kept so existing scripts keep working
        dest="room_unload_delay",
        type=float,
        default=30.0,
        help="seconds an empty room stays loaded (--room-grace is an alias)",
    )
    serve.add_argument(
        "--keepalive",
        type=positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds a connection may hear nothing before the server sends it an empty "
        "awareness update (y-websocket's client reconnects after 30 s of silence)",
    )
    serve.add_argument(
        "--keep-kernels",
        action="store_true",
        help="keep a room loaded while its kernel runs, after everyone left; default: the "
        "empty room unloads after --room-unload-delay and its kernel lives on without it",
    )
    serve.add_argument(
        "--cull-idle-after",
        type=positive_seconds,
        metavar="SECONDS",
        help="shut down a kernel that ran nothing for this long (the page warns a minute "
        "before); default: kernels live on while idle",
    )
    serve.add_argument(
        "--send-buffer",
        type=parse_size,
        default=8 * MIB,
        metavar="SIZE",
        help="bytes waiting for one peer (8M, 512K...) before it is disconnected as too slow "
        "(4413); one frame larger than this still goes to a peer nothing else waits for",
    )
    _add_numbers(serve, ROOM_NUMBERS[3:])
    serve.add_argument(
        "--no-kernel-state",
        dest="kernel_state",
        action="store_false",
        help="do not probe the kernel's namespace after runs (no variables view, no stale or "
        "hidden-state warnings)",
    )


def _add_limits(serve: argparse.ArgumentParser) -> None:
    _add_numbers(serve, LIMIT_NUMBERS)


def _add_logs_and_kernels(serve: argparse.ArgumentParser) -> None:
    _add_choice(serve, "--log-format", ["text", "json"], "structured log lines as key=value "
                "text or JSON")  # fmt: skip
    serve.add_argument("--log-level", default="info")
    _add_choice(serve, "--kernel-sandbox", ["auto", "bwrap", "none"], "run kernels in a "
                "bubblewrap sandbox that hides pairbook's state folder; auto: bwrap when it "
                "works here, else none with a warning")  # fmt: skip
    serve.add_argument(
        "--kernel-memory",
        type=parse_size,
        metavar="BYTES",
        help="address space one kernel process may use (e.g. 4G); default: no limit",
    )
    serve.add_argument(
        "--kernel-gateway",
        metavar="URL",
        help="run kernels on this Jupyter Kernel Gateway (http://host:8889) so they outlive "
        "this process: the next process to run a room re-attaches to its kernel by id",
    )
    serve.add_argument(
        "--kernel-gateway-token",
        metavar="TOKEN",
        help="the gateway's auth token (its KG_AUTH_TOKEN); better given as the environment "
        "variable PAIRBOOK_KERNEL_GATEWAY_TOKEN than on the command line",
    )
    serve.add_argument(
        "--kernel-processes",
        type=int,
        metavar="N",
        help="processes and threads one kernel may have together; default: no limit",
    )


def _add_files(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--run-attribution",
        choices=["none", "short"],
        default="none",
        help="run bookkeeping written to the .ipynb: none (default; the room and its log "
        "keep it) or short (who ran each cell last, one stable line)",
    )
    serve.add_argument(
        "--no-save-outputs",
        dest="save_outputs",
        action="store_false",
        help="write notebooks without outputs and execution counts (the room keeps them); "
        "a notebook's metadata.pairbook.save_outputs overrides this",
    )
    serve.add_argument(
        "--no-twin",
        dest="twin",
        action="store_false",
        help="do not pair notebooks without a jupytext pairing with a .py twin (an existing "
        "pairing, metadata.jupytext.formats, is always kept)",
    )


def _add_recording(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--record-retention",
        type=float,
        metavar="DAYS",
        help="keep this many days of recorded history (replay, blame); default: all",
    )
    _add_numbers(serve, (
        ("--checkpoint-every", int, 1000, "log records between two replay checkpoints (seek "
         "replays at most this many)"),
        ("--presence-interval", float, 1.0, "seconds between two recorded presences (cursor, "
         "cell) of one connection"),
    ))  # fmt: skip


def positive_seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("give a positive number of seconds")
    return value


def positive_int(text: str) -> int:
    """A positive whole number."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("give a positive whole number")
    return value


def parse_size(text: str) -> int:
    """A byte count: 512M, 4G, or plain bytes."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    raw = text.strip().lower().removesuffix("b")
    try:
        value = int(float(raw[:-1]) * units[raw[-1]]) if raw and raw[-1] in units else int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 512M or 4G") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("a size must be positive")
    return value


def settings_from(
    args: argparse.Namespace,
    state: StateDir,
    port: int,
    sandbox: KernelSandbox,
    owner: tuple[str | None, str | None],
    owner_token_hashes: tuple[str, ...],
) -> Settings:
    """The server's Settings from `serve`'s flags and what `serve` resolved before."""
    return Settings(
        root=state.root,
        state_dir=state.path,
        store_url=args.store or str(state.db),
        broker_url=args.broker or None,  # PAIRBOOK_BROKER= (empty): none
        owner_lease=args.owner_lease,
        max_forwarded=args.max_forwarded,
        owner_token_hashes=owner_token_hashes,
        owner_name=owner[0],
        owner_email=owner[1],
        host=args.host,
        port=port,
        server=args.server,
        durability=args.durability,
        allowed_origins=tuple(args.allow_origin),
        autosave_delay=args.autosave_delay,
        room_unload_delay=args.room_unload_delay,
        send_queue_frames=args.send_queue,
        send_buffer_bytes=args.send_buffer,
        send_timeout=args.send_timeout,
        keepalive=args.keepalive,
        keep_kernels=args.keep_kernels,
        cull_idle_after=args.cull_idle_after,
        output_limit=args.output_limit,
        kernel_state=args.kernel_state,
        max_messages_per_second=args.max_rate,
        message_burst=int(max(50, args.max_rate * 5)),
        max_frame_bytes=args.max_frame,
        max_update_bytes=args.max_update,
        max_update_cells=args.max_update_cells,
        max_update_structs=args.max_update_structs,
        max_notebook_bytes=args.max_notebook,
        log_format=args.log_format,
        log_level=args.log_level,
        record_retention_days=args.record_retention,
        checkpoint_every=args.checkpoint_every,
        presence_interval=args.presence_interval,
        kernel_sandbox=sandbox,
        kernel_memory=args.kernel_memory,
        kernel_processes=args.kernel_processes,
        kernel_gateway=args.kernel_gateway,
        kernel_gateway_token=args.kernel_gateway_token,
        run_attribution=args.run_attribution,
        save_outputs=args.save_outputs,
        twin=args.twin,
    )
