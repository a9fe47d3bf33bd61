"""The supervisor: `serve` runs the ASGI server in a child process and owns its shutdown."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
import urllib.request
from multiprocessing.process import BaseProcess
from types import FrameType

from pairbook.app import die_with_parent
from pairbook.cli.console import fail
from pairbook.settings import SETTINGS_ENV, Settings
from pairbook.stopsignals import PROCESS_STOPS, STOP_SIGNALS, StopSignals

STOP_SECONDS = 30  # from the first stop signal to the server's kill
STARTUP_FAILURE = 3  # uvicorn's exit code for a server that could not start


def supervise(settings: Settings, drain_token: str) -> int:
    """Run the ASGI server in a child process and own its shutdown.

    ASGI servers drop websockets themselves on Ctrl-C before the app hears of it; so the
    CLI takes the signal, asks the app to drain (every peer gets a going-away close, every
    room is saved and the log flushed), then stops the server. The signals are caught before
    the child exists (by the command's entry, or here), so none is lost while it starts.
    """
    stops = PROCESS_STOPS.catch()
    if stops.requested:  # while pairbook was importing or checking its flags
        print("pairbook: stopped before serving.", flush=True)
        return 0
    # Forked, not a fresh interpreter: the child starts with every module this process has
    # imported already (the app's are most of a start's CPU), instead of importing them again.
    sys.stdout.flush()
    sys.stderr.flush()
    child = multiprocessing.get_context("fork").Process(
        target=_serve_child, args=(settings,), name="pairbook-server"
    )
    child.start()
    assert child.pid is not None
    pid = child.pid

    def on_signal(signum: int) -> None:
        if stops.forced:  # from the handler: the main thread may be waiting for the drain
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    stops.listener = on_signal
    while child.is_alive() and not stops.wait(0.2):
        pass
    if not stops.requested:
        return fail(f"the server stopped unexpectedly (exit code {child.exitcode})") or 1
    print("\npairbook: stopping: telling peers, saving notebooks, flushing the log…", flush=True)
    return _stop(child, settings, drain_token, stops)


def _stop(child: BaseProcess, settings: Settings, drain_token: str, stops: StopSignals) -> int:
    """Drain the server as soon as it answers, and send it SIGTERM every second until it
    stops: a server still starting neither answers nor hears signals yet (its child sets
    them aside until the ASGI server takes them over). SIGTERM, never SIGINT: a second
    SIGINT makes uvicorn skip the app's shutdown (nothing saved, a lifespan traceback), and
    it may have had one already from `pkill`."""
    assert child.pid is not None
    deadline = time.monotonic() + STOP_SECONDS
    drained = False
    while child.is_alive() and not stops.forced and time.monotonic() < deadline:
        drained = drained or drain(settings, drain_token)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGTERM)
        child.join(1.0)
    if stops.forced:
        child.join()
        print(
            "pairbook: stopped at once (a second Ctrl-C): notebooks keep what their last "
            "autosave wrote, the log every edit.",
            flush=True,
        )
        return 130
    if child.is_alive():
        child.kill()
        child.join()
        return fail(f"the server did not stop within {STOP_SECONDS} s and was killed") or 1
    print("pairbook: stopped.", flush=True)
    return 0


def drain(settings: Settings, token: str) -> bool:
    """Ask the server to drain; False while it does not listen (it is still starting, or
    stopping already: ask again later), True once that is done or cannot be."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    host = "[::1]" if host == "::" else (f"[{host}]" if ":" in host else host)
    request = urllib.request.Request(
        f"http://{host}:{settings.port}/api/admin/drain",
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30):
            return True
    except OSError as exc:  # URLError is one
        if isinstance(getattr(exc, "reason", None), ConnectionRefusedError):
            return False
        print(f"pairbook: could not drain before stopping ({exc}); stopping anyway", flush=True)
        return True


def _serve_child(settings: Settings) -> None:
    """The forked child: a session of its own (Ctrl-C reaches the CLI only; it decides what
    happens), killed with the CLI, serving until signalled."""
    os.setsid()
    die_with_parent()
    # Until the ASGI server takes them over, a stop signal is set aside (a KeyboardInterrupt
    # would end the start with a traceback): the supervisor sends SIGTERM again each second.
    # A handler, not SIG_IGN, which the kernels started later would inherit.
    for signum in STOP_SIGNALS:
        signal.signal(signum, _set_aside)
    sys.exit(run_server(settings))


def _set_aside(signum: int, frame: FrameType | None) -> None:
    """A stop signal the server process received before its ASGI server could hear it."""


def run_server(settings: Settings) -> int:
    """The supervised child: serve the app with the chosen ASGI server until signalled."""
    os.environ[SETTINGS_ENV] = settings.to_json()
    if settings.server == "uvicorn":
        return _run_uvicorn(settings)
    _run_granian(settings)
    return 0


def _run_uvicorn(settings: Settings) -> int:
    import uvicorn

    from pairbook.app import create_app, drain_app
    from pairbook.app.gcpolicy import tune_gc
    from pairbook.app.uvicornws import ImmediateWebSocketProtocol, uvicorn_mismatches
    from pairbook.cli.uvicornserver import DrainingServer

    # Checked before serving: a uvicorn without what pairbook's protocol reads would
    # otherwise fail (or fall back) at some connection mid-session.
    missing = uvicorn_mismatches()
    if missing:
        return fail(
            f"uvicorn {uvicorn.__version__}'s websocket protocol lacks what pairbook relies on "
            f"({', '.join(missing)}): install the uvicorn version pyproject.toml names, or "
            "serve with --server granian"
        )
    app = create_app(settings)
    tune_gc()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        # websockets-sansio, plus writes that need no await (relayed frames encoded once)
        ws=ImmediateWebSocketProtocol,
        loop="uvloop",
        lifespan="on",
        log_level="warning",
        ws_max_size=settings.max_frame_bytes,
        # Compressing per peer would re-encode every relayed frame for every peer (and
        # costs stock clients most of their CPU at scale): relay the bytes as received.
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=10,
    )
    server = DrainingServer(config, lambda: drain_app(app))
    server.run()
    return 0 if server.started else STARTUP_FAILURE


def _run_granian(settings: Settings) -> None:
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
