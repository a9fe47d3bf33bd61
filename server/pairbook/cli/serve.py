"""`pairbook serve`: check the folder and the port, prepare the state directory and the owner's
link, then hand the Settings to the supervisor."""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from pairbook.auth import hash_token, is_email, new_token
from pairbook.cli.access import note_server_url, owner_login
from pairbook.cli.console import fail, warn
from pairbook.cli.serveflags import settings_from
from pairbook.cli.supervisor import supervise
from pairbook.cli.workspace import served_folder, state_of
from pairbook.errors import NotebookError, PairbookError
from pairbook.kernel.confine import Sandbox, choose_sandbox
from pairbook.kernel.gateway import Gateway
from pairbook.notebook import list_notebooks, read_notebook
from pairbook.statedir import StateDir


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


def git_identity(state: StateDir, key: str) -> str | None:
    """git's name or email for a new owner, when it is usable as a profile (else None)."""
    value = _git_config(state, key)
    if value is None:
        return None
    if key == "user.email":
        return value if is_email(value) else None
    return value if "<" not in value and ">" not in value else None


def _git_config(state: StateDir, key: str) -> str | None:
    """git's identity, for an owner who has no saved profile yet (None: keep the saved one,
    or there is no git)."""
    try:
        saved = json.loads(state.tokens.read_text()).get("owner")
    except (OSError, ValueError, AttributeError):
        saved = None
    if saved or shutil.which("git") is None:
        return None
    try:
        found = subprocess.run(
            ["git", "config", key], cwd=state.root, capture_output=True, text=True, timeout=5,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def serve(args: argparse.Namespace) -> int:
    root = served_folder(args.dir)
    if not root.exists():
        return fail(f"{root} does not exist; pass a folder of .ipynb notebooks")
    if not root.is_dir():
        return fail(f"{root} is not a folder; pass the folder that holds your notebooks")
    state = state_of(root, args.state_dir)
    problem = state.problem()
    if problem is not None:
        return fail(f"--state-dir: {problem}")
    try:
        state.create()
        state.keep_private()
    except OSError as exc:
        return fail(f"cannot create {state.path}: {exc.strerror}; is {root} writable?")
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
        warn(warning)
    if args.kernel_processes is not None and args.kernel_processes < 1:
        return fail("--kernel-processes must be at least 1")
    if args.kernel_gateway is not None:
        try:
            Gateway(args.kernel_gateway)
        except ValueError as exc:
            return fail(f"--kernel-gateway: {exc}")
    return _start(args, state, port, sandbox)


def _start(args: argparse.Namespace, state: StateDir, port: int, sandbox: Sandbox) -> int:
    good = count_readable(state.root, args.max_notebook)
    owner_name = args.owner_name or git_identity(state, "user.name")
    owner_email = args.owner_email or git_identity(state, "user.email")
    try:
        login, run_digests = owner_login(state, args.owner_token, owner_name, owner_email)
    except PairbookError as exc:
        return fail(f"{exc} (--owner-name / --owner-email)")
    supervisor_token = new_token()  # the CLI's own, to ask the server to drain at Ctrl-C
    digests = (*run_digests, hash_token(supervisor_token))
    settings = settings_from(args, state, port, sandbox, (owner_name, owner_email), digests)
    shown_host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    base = f"http://{shown_host}:{port}"
    note_server_url(state, base)
    url = f"{base}/?token={quote(login)}"
    print(f"pairbook is serving {good} notebook(s) from {state.root}")
    print(f"Open this link (you are the owner; keep it secret): {url}", flush=True)
    if not args.owner_token:
        print(
            "(a new owner link at each start; earlier opened ones keep working until "
            "`pairbook revoke`; `pairbook token` mints another)",
            flush=True,
        )
    print("Press Ctrl-C to stop (peers are told to reconnect; notebooks are saved).", flush=True)
    return supervise(settings, supervisor_token)


def count_readable(root: Path, max_bytes: int) -> int:
    """How many notebooks under root open; each one that does not is reported and skipped."""
    good = 0
    for relpath in list_notebooks(root):
        try:
            read_notebook(root / relpath, max_bytes=max_bytes)
            good += 1
        except NotebookError as exc:
            print(f"pairbook: skipping {relpath}: {exc}", file=sys.stderr)
    return good
