"""The `pairbook` command line: flags become one Settings; the chosen ASGI server runs it."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pairbook.app import die_with_parent
from pairbook.auth import hash_token, is_email, new_token
from pairbook.cliaccess import (
    ACCESS_COMMANDS,
    access_command,
    add_access_parsers,
    note_server_url,
    owner_login,
)
from pairbook.clicommit import add_commit_parser, commit
from pairbook.errors import NotebookError, PairbookError
from pairbook.kernel.confine import choose_sandbox
from pairbook.notebook import list_notebooks, read_notebook
from pairbook.settings import SETTINGS_ENV, Settings


def fail(message: str) -> int:
    print(f"pairbook: error: {message}", file=sys.stderr)
    return 2


def default_workspace() -> Path:
    """The bundled examples, copied once to a folder the user owns (autosave writes there)."""
    data = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    target = data / "pairbook" / "examples"
    target.mkdir(parents=True, exist_ok=True)
    bundled = resources.files("pairbook") / "examples"
    for item in bundled.iterdir():
        if item.name.endswith(".ipynb") and not (target / item.name).exists():
            with resources.as_file(item) as source:
                shutil.copyfile(source, target / item.name)
    return target


def port_problem(host: str, port: int) -> str | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return str(exc.strerror or exc)
    return None


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def keep_private(state_dir: Path) -> None:
    """The state folder 0700 and everything in it 0600 (older versions left 0755 and 0644:
    another local user could read the tokens, or deleted text from the log's WAL)."""
    state_dir.chmod(0o700)
    for path in state_dir.rglob("*"):
        if path.is_symlink():
            continue
        path.chmod(0o700 if path.is_dir() else 0o600)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pairbook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the notebooks under a folder")
    serve.add_argument("dir", nargs="?", type=Path, help="folder of notebooks (default: examples)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8888, help="0 picks a free port")
    serve.add_argument(
        "--store", help="log: a SQLite file path or memory:// (default DIR/.pairbook/…)"
    )
    serve.add_argument(
        "--server",
        choices=["granian", "uvicorn"],
        default="granian",
        help="ASGI server (granian is measured fastest; see bench/fanout)",
    )
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
    serve.add_argument(
        "--durability",
        choices=["normal", "full"],
        default="normal",
        help="normal survives a crash of pairbook; full also a power cut",
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        help="extra browser origin allowed to connect (repeatable)",
    )
    serve.add_argument(
        "--autosave-delay",
        type=float,
        default=1.0,
        help="seconds of quiet before the notebook file is written",
    )
    serve.add_argument(
        "--room-grace", type=float, default=30.0, help="seconds an empty room stays loaded"
    )
    serve.add_argument(
        "--send-queue",
        type=int,
        default=4096,
        help="frames queued for a peer before it is disconnected as too slow",
    )
    serve.add_argument(
        "--send-timeout",
        type=float,
        default=10.0,
        help="seconds one send may block before the peer is dropped as too slow",
    )
    serve.add_argument(
        "--keep-kernels",
        action="store_true",
        help="keep a room (and its kernel) loaded after everyone left; default: the kernel "
        "shuts down when the empty room unloads after --room-grace",
    )
    serve.add_argument(
        "--output-limit",
        type=int,
        default=1_000_000,
        help="bytes of output one run may keep in its cell before it is truncated",
    )
    serve.add_argument(
        "--no-kernel-state",
        dest="kernel_state",
        action="store_false",
        help="do not probe the kernel's namespace after runs (no variables view, no stale or "
        "hidden-state warnings)",
    )
    serve.add_argument(
        "--max-rate",
        type=float,
        default=400.0,
        help="messages per second one connection may send (bursts of 5 s worth)",
    )
    serve.add_argument(
        "--max-frame",
        type=int,
        default=64 * 1024 * 1024,
        help="largest websocket frame accepted, in bytes (Granian itself drops frames over "
        "16 MiB: its limit is not configurable; uvicorn honours this one)",
    )
    serve.add_argument(
        "--max-update",
        type=int,
        default=8 * 1024 * 1024,
        help="largest document update one peer may send, in bytes (closed with 1009 beyond)",
    )
    serve.add_argument(
        "--max-update-cells",
        type=int,
        default=2000,
        help="most new cells one update may add",
    )
    serve.add_argument(
        "--max-update-structs",
        type=int,
        default=50_000,
        help="most Yjs structs and deleted ranges one update may hold",
    )
    serve.add_argument(
        "--max-notebook",
        type=int,
        default=64 * 1024 * 1024,
        help="largest notebook file opened or listed with its cells, in bytes",
    )
    serve.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="structured log lines as key=value text or JSON",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--kernel-sandbox",
        choices=["auto", "bwrap", "none"],
        default="auto",
        help="run kernels in a bubblewrap sandbox that hides pairbook's state folder; auto: "
        "bwrap when it works here, else none with a warning",
    )
    serve.add_argument(
        "--kernel-memory",
        type=_size,
        metavar="BYTES",
        help="address space one kernel process may use (e.g. 4G); default: no limit",
    )
    serve.add_argument(
        "--kernel-processes",
        type=int,
        metavar="N",
        help="processes and threads one kernel may have together; default: no limit",
    )

    requirements = commands.add_parser(
        "requirements",
        help="print the packages a notebook's kernel imported, as a requirements file",
        description="Asks a running pairbook for the distributions (and versions) behind the "
        "modules the notebook's kernel has imported, without the kernel's own machinery.",
    )
    requirements.add_argument("notebook", help="the notebook's path under the served folder")
    requirements.add_argument("--url", default="http://127.0.0.1:8888", help="pairbook's address")
    requirements.add_argument(
        "--token", help="your token (default: $PAIRBOOK_TOKEN; `pairbook token` mints one)"
    )
    requirements.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    add_commit_parser(commands)
    serve.add_argument(
        "--record-retention",
        type=float,
        metavar="DAYS",
        help="keep this many days of recorded history (replay, blame); default: all",
    )
    serve.add_argument(
        "--checkpoint-every",
        type=int,
        default=1000,
        help="log records between two replay checkpoints (seek replays at most this many)",
    )
    serve.add_argument(
        "--presence-interval",
        type=float,
        default=1.0,
        help="seconds between two recorded presences (cursor, cell) of one connection",
    )
    add_replay_parser(commands)
    add_access_parsers(commands)
    return parser


def _size(text: str) -> int:
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_run"]:  # the server process that `serve` supervises
        return run_server(Settings.from_json(os.environ[SETTINGS_ENV]))
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "requirements":
        return export_requirements(args)
    if args.command == "commit":
        return commit(args)
    if args.command == "replay":
        return replay(args)
    if args.command in ACCESS_COMMANDS:
        root = args.dir if args.dir is not None else default_workspace()
        return access_command(args, root.expanduser().resolve())
    return fail(f"unknown command {args.command}")


def export_requirements(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("PAIRBOOK_TOKEN")
    if not token:
        return fail(
            "no token: pass --token or set PAIRBOOK_TOKEN (`pairbook token DIR` mints an "
            "owner token; only its hash is kept, so none can be read from DIR)"
        )
    url = f"{args.url.rstrip('/')}/api/requirements/{quote(args.notebook)}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as exc:
        return fail(f"{args.url} refused: {exc.code} {exc.read().decode(errors='replace')}")
    except OSError as exc:
        return fail(f"cannot reach pairbook at {args.url} ({exc}); is `pairbook serve` running?")
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _git_identity(root: Path, key: str, state_dir: Path) -> str | None:
    """git's name or email for a new owner, when it is usable as a profile (else None)."""
    value = _git_config(root, key, state_dir)
    if value is None:
        return None
    if key == "user.email":
        return value if is_email(value) else None
    return value if "<" not in value and ">" not in value else None


def _git_config(root: Path, key: str, state_dir: Path) -> str | None:
    """git's identity, for an owner who has no saved profile yet (None: keep the saved one,
    or there is no git)."""
    try:
        saved = json.loads((state_dir / "tokens.json").read_text()).get("owner")
    except (OSError, ValueError, AttributeError):
        saved = None
    if saved or shutil.which("git") is None:
        return None
    try:
        found = subprocess.run(
            ["git", "config", key], cwd=root, capture_output=True, text=True, timeout=5,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def serve(args: argparse.Namespace) -> int:
    root: Path = args.dir if args.dir is not None else default_workspace()
    root = root.expanduser().resolve()
    if not root.exists():
        return fail(f"{root} does not exist; pass a folder of .ipynb notebooks")
    if not root.is_dir():
        return fail(f"{root} is not a folder; pass the folder that holds your notebooks")
    state_dir = root / ".pairbook"
    try:
        state_dir.mkdir(mode=0o700, exist_ok=True)
        ignore = state_dir / ".gitignore"
        if not ignore.exists():  # tokens and the log must never be committed with notebooks
            ignore.write_text("# pairbook's tokens and log: never commit them\n*\n")
        keep_private(state_dir)
    except OSError as exc:
        return fail(f"cannot create {state_dir}: {exc.strerror}; is {root} writable?")
    port: int = args.port if args.port != 0 else free_port(args.host)
    problem = port_problem(args.host, port)
    if problem is not None:
        return fail(
            f"cannot listen on {args.host}:{port} ({problem}); stop the program using it "
            "or pass --port N (--port 0 picks a free port)"
        )
    try:
        sandbox, warning = choose_sandbox(args.kernel_sandbox)
    except ValueError as exc:
        return fail(f"{exc}; install bubblewrap or pass --kernel-sandbox auto|none")
    if warning is not None:
        print(f"pairbook: warning: {warning}", file=sys.stderr, flush=True)
    if args.kernel_processes is not None and args.kernel_processes < 1:
        return fail("--kernel-processes must be at least 1")
    notebooks = list_notebooks(root)
    good = 0
    for relpath in notebooks:
        try:
            read_notebook(root / relpath, max_bytes=args.max_notebook)
            good += 1
        except NotebookError as exc:
            print(f"pairbook: skipping {relpath}: {exc}", file=sys.stderr)
    owner_name = args.owner_name or _git_identity(root, "user.name", state_dir)
    owner_email = args.owner_email or _git_identity(root, "user.email", state_dir)
    try:
        login, run_digests = owner_login(state_dir, args.owner_token, owner_name, owner_email)
    except PairbookError as exc:
        return fail(f"{exc} (--owner-name / --owner-email)")
    supervisor_token = new_token()  # the CLI's own, to ask the server to drain at Ctrl-C
    settings = Settings(
        root=root,
        state_dir=state_dir,
        store_url=args.store or str(state_dir / "pairbook.sqlite"),
        owner_token_hashes=(*run_digests, hash_token(supervisor_token)),
        owner_name=owner_name,
        owner_email=owner_email,
        host=args.host,
        port=port,
        server=args.server,
        durability=args.durability,
        allowed_origins=tuple(args.allow_origin),
        autosave_delay=args.autosave_delay,
        room_grace=args.room_grace,
        send_queue_frames=args.send_queue,
        send_timeout=args.send_timeout,
        keep_kernels=args.keep_kernels,
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
    )
    shown_host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    base = f"http://{shown_host}:{port}"
    note_server_url(state_dir, base)
    url = f"{base}/?token={quote(login)}"
    print(f"pairbook is serving {good} notebook(s) from {root}")
    print(f"Open this link (you are the owner; keep it secret): {url}", flush=True)
    if not args.owner_token:
        print(
            "(a new owner link at each start; earlier opened ones keep working until "
            "`pairbook revoke`; `pairbook token` mints another)",
            flush=True,
        )
    print("Press Ctrl-C to stop (peers are told to reconnect; notebooks are saved).", flush=True)
    return supervise(settings, supervisor_token)


def supervise(settings: Settings, drain_token: str) -> int:
    """Run the ASGI server in a child process and own its shutdown.

    ASGI servers drop websockets themselves on Ctrl-C before the app hears of it; so the
    CLI takes the signal, asks the app to drain (every peer gets a going-away close, every
    room is saved and the log flushed), then stops the server.
    """
    env = {**os.environ, SETTINGS_ENV: settings.to_json()}
    child = subprocess.Popen(
        [sys.executable, "-m", "pairbook.cli", "_run"],
        env=env,
        start_new_session=True,  # Ctrl-C reaches the CLI only; it decides what happens
        preexec_fn=die_with_parent,
    )
    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    while child.poll() is None and not stopping.wait(0.2):
        pass
    if child.poll() is not None:
        return fail(f"the server stopped unexpectedly (exit code {child.returncode})") or 1
    print("\npairbook: stopping: telling peers, saving notebooks, flushing the log…", flush=True)
    drain(settings, drain_token)
    child.send_signal(signal.SIGINT)
    try:
        child.wait(30)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return fail("the server did not stop within 30 s and was killed")
    print("pairbook: stopped.", flush=True)
    return 0


def drain(settings: Settings, token: str) -> None:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    host = "[::1]" if host == "::" else (f"[{host}]" if ":" in host else host)
    request = urllib.request.Request(
        f"http://{host}:{settings.port}/api/admin/drain",
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30):
            pass
    except OSError as exc:
        print(f"pairbook: could not drain before stopping ({exc}); stopping anyway", flush=True)


def run_server(settings: Settings) -> int:
    os.environ[SETTINGS_ENV] = settings.to_json()
    if settings.server == "uvicorn":
        import uvicorn

        from pairbook.app import create_app

        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            ws="websockets-sansio",
            loop="uvloop",
            lifespan="on",
            log_level="warning",
            ws_max_size=settings.max_frame_bytes,
            # Compressing per peer would re-encode every relayed frame for every peer (and
            # costs stock clients most of their CPU at scale): relay the bytes as received.
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=10,
        )
        return 0
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    Server(
        "pairbook.app:create_app_from_env",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        factory=True,
        workers=1,
        log_level=LogLevels.warning,
        websockets=True,
    ).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())


def add_replay_parser(commands: Any) -> None:
    replay_parser = commands.add_parser("replay", help="recorded sessions: list, info, export")
    actions = replay_parser.add_subparsers(dest="action", required=True)
    for action, help_text in (
        ("list", "every recorded notebook: span, people, updates"),
        ("info", "one notebook's recording in detail"),
        ("export", "one notebook's recording as JSON lines, or the notebook at a moment"),
    ):
        sub = actions.add_parser(action, help=help_text)
        if action != "list":
            sub.add_argument("notebook", help="the notebook's path relative to DIR")
        sub.add_argument("--dir", type=Path, help="the served folder (default: the examples)")
        sub.add_argument("--store", help="the store (default DIR/.pairbook/pairbook.sqlite)")
        if action == "export":
            sub.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
            sub.add_argument(
                "--notebook-at",
                metavar="SEQ|ISO-TIME",
                help="export the .ipynb as it was after this log seq or at this time",
            )


def replay(args: argparse.Namespace) -> int:
    import asyncio

    from pairbook.errors import PairbookError

    root: Path = args.dir if args.dir is not None else default_workspace()
    store_path = args.store or str(root.expanduser().resolve() / ".pairbook" / "pairbook.sqlite")
    if "://" not in store_path and not Path(store_path).exists():
        return fail(f"no store at {store_path}; pass --dir (the served folder) or --store")
    try:
        return asyncio.run(_replay(args, store_path))
    except PairbookError as exc:
        return fail(str(exc))


async def _replay(args: argparse.Namespace, store_path: str) -> int:
    import json

    from pairbook.notebook import serialize_notebook, ydoc_to_notebook
    from pairbook.record import Replayer, export_lines
    from pairbook.record.sessions import describe_session
    from pairbook.store import open_store

    async with open_store(store_path) as store:
        rooms = await store.rooms()
        if args.action == "list":
            for room in rooms:
                s = await describe_session(store, room)
                people = ", ".join(s["people"].values()) or "-"
                span = _span(s["start"], s["end"])
                print(
                    f"{room}\t{s['updates']} updates\t{s['runs']} runs\t{span}\t"
                    f"recording {s['recording']}\t{people}"
                )
            return 0
        if args.notebook not in rooms:
            return fail(f"{args.notebook} has no recording in {store_path}; see `replay list`")
        if args.action == "info":
            print(json.dumps(await describe_session(store, args.notebook, detailed=True), indent=2))
            return 0
        replayer = Replayer(store, args.notebook, save_checkpoints=False)
        out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
        try:
            if args.notebook_at is not None:
                seq = await _moment(store, args.notebook, args.notebook_at)
                doc = await replayer.doc_at(await replayer.visible(seq))
                out.write(serialize_notebook(ydoc_to_notebook(doc)).decode("utf-8"))
            else:
                log = await store.load(args.notebook)
                claims = log.claims if log is not None else {}
                async for line in export_lines(replayer, claims):
                    out.write(line + "\n")
        finally:
            if args.output:
                out.close()
        return 0


async def _moment(store: Any, room: str, text: str) -> int:
    from datetime import datetime

    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise NotebookError(f"--notebook-at {text!r} is neither a seq nor an ISO time") from None
    seq: int = await store.seq_at(room, when.timestamp())
    return seq


def _span(start: float | None, end: float | None) -> str:
    import time

    if start is None or end is None:
        return "-"
    begun = time.strftime("%Y-%m-%d %H:%M", time.localtime(start))
    return f"{begun} ({(end - start) / 60:.0f} min)"
