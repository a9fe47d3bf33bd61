"""The web application: Starlette routes, lifespan, static files. Wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from pairbook.app import http, people, replay, review
from pairbook.app.connections import Connections
from pairbook.app.context import AppContext
from pairbook.app.crosssite import CrossSiteGuard, cors_middleware
from pairbook.app.download import download_route
from pairbook.app.errors import EXCEPTION_HANDLERS, UnexpectedErrors
from pairbook.app.gcpolicy import tune_gc, young_passes
from pairbook.app.headers import OUTPUT_FRAME_PATH, SecurityHeaders
from pairbook.app.logs import configure_logging
from pairbook.app.metrics import Metrics
from pairbook.app.outputframe import FrameAssets, bokeh_script, output_frame
from pairbook.app.sharedfolder import FOLDER_ID, check_shared_folder
from pairbook.app.websocket import room_endpoint
from pairbook.auth import TokenBook
from pairbook.broker import Broker, open_broker
from pairbook.cluster.ownership import ClusterOwnership
from pairbook.kernel import kernel_specs
from pairbook.kernel.confine import Confinement, choose_sandbox
from pairbook.kernel.gatewaysession import KernelGateway
from pairbook.notebook.fileform import FileForm
from pairbook.notebook.listing import NotebookListing
from pairbook.notebook.warmup import warm_up
from pairbook.rooms import RoomLimits, RoomPolicy, Rooms
from pairbook.rooms.filesync import FilePolicy
from pairbook.rooms.owners import RoomOwners
from pairbook.settings import SETTINGS_ENV, Settings
from pairbook.statedir import StateDir
from pairbook.store import Store, open_store, sqlite_path_of

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings) -> Starlette:
    """The ASGI app for one pairbook server."""
    configure_logging(settings.log_format, settings.log_level)
    middleware = [
        Middleware(SecurityHeaders),
        *cors_middleware(settings.allowed_origins),
        Middleware(CrossSiteGuard, allowed_origins=settings.allowed_origins),
        Middleware(UnexpectedErrors),  # innermost: its 500 answer gets the headers too
    ]
    return PairbookApp(
        routes=app_routes(),
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan_of(settings),
    )


ROOMS_PATH = "/rooms/"


class PairbookApp(Starlette):
    """The app; a room's websocket goes straight to its endpoint. Through the middleware
    stack and the router, each of the connection's ten or so frames (HTTP-only middlewares
    passing it on, exception wrappers, the route) stayed alive as long as it did: about
    6 KB per connection, a quarter of what 500 rooms of 4 held beside the rooms."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            path = str(scope["path"]).removeprefix(str(scope.get("root_path", "")))
            if path.startswith(ROOMS_PATH):
                scope["app"] = self
                scope["path_params"] = {"path": path.removeprefix(ROOMS_PATH)}
                await room_endpoint(WebSocket(scope, receive, send))
                return
        await super().__call__(scope, receive, send)


def lifespan_of(settings: Settings) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The app's lifespan: it owns the store, the rooms and the token file's watcher."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = open_store(settings.store_url, synchronous=settings.durability)
        tokens = TokenBook(
            StateDir.at(settings.state_dir).tokens,
            owner_name=settings.owner_name,
            owner_email=settings.owner_email,
            run_owner_digests=settings.owner_token_hashes,
        )
        connections = Connections()
        broker = None if settings.broker_url is None else open_broker(settings.broker_url)
        owners = ownership_for(settings, broker, store)
        policy = room_policy(settings)
        async with (
            store,
            contextlib.nullcontext() if broker is None else broker,
            # Left after the rooms: leases are handed over once the kernels have stopped.
            contextlib.nullcontext() if owners is None else owners,
            Rooms(
                settings.root,
                store,
                policy,
                broker=broker,
                ownership=owners,
                profiles=tokens.profiles,
            ) as rooms,
            young_passes(),  # in the server process: short young passes, often
        ):
            if owners is not None:
                RoomOwners(rooms, owners, tokens).bind()
            if broker is not None:
                await check_shared_folder(broker, settings.root)
            listing = NotebookListing(
                settings.root, max_bytes=settings.max_notebook_bytes, twin=settings.twin
            )
            forwarder = None if owners is None else owners.forwarder
            metrics = Metrics(rooms, store, listing, forwarder)
            app.state.pairbook = AppContext(
                settings, tokens, store, rooms, metrics, connections, listing
            )
            watcher = asyncio.create_task(connections.watch(tokens), name="token file")
            warming = asyncio.create_task(_warm_up(), name="warm-up")
            try:
                yield
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
                await warming  # a thread: it cannot be cancelled, and it is short

    return lifespan


async def drain_app(app: Starlette) -> int:
    """What POST /api/admin/drain does, for a server process told to stop by a signal:
    every peer closed with going-away, every room saved. Returns the peers closed."""
    context: AppContext = app.state.pairbook
    return await context.rooms.drain()


async def _warm_up() -> None:
    """The notebook machinery readied in a worker thread, off the first join's way."""
    try:
        await asyncio.to_thread(_warm_up_in_thread)
    except Exception:
        logging.getLogger("pairbook.app").exception(
            "warming up failed; the first notebook opened pays for it instead"
        )


def _warm_up_in_thread() -> None:
    warm_up()
    # A room's kernel service lists the kernelspecs as the room opens: the first listing
    # imports jupyter_client's kernelspec machinery (30-60 ms on the first join's way).
    kernel_specs()


def ownership_for(
    settings: Settings, broker: Broker | None, store: Store
) -> ClusterOwnership | None:
    """One owner per room among the processes sharing a Redis broker (none otherwise),
    each owner's token fenced in the store."""
    url = settings.broker_url
    if broker is None or url is None or urlsplit(url).scheme.lower() == "memory":
        return None
    return ClusterOwnership.from_url(
        url, broker.origin, ttl=settings.owner_lease, fence=store.raise_fence,
        max_answering=settings.max_forwarded,
    )  # fmt: skip


def room_policy(settings: Settings) -> RoomPolicy:
    """What every room of this server is allowed and asked to do."""
    return RoomPolicy(
        autosave_delay=settings.autosave_delay,
        file_poll_interval=settings.file_poll_interval,
        unload_delay=settings.room_unload_delay,
        snapshot_every=settings.snapshot_every,
        sync_timeout=settings.sync_timeout,
        keepalive=settings.keepalive,
        keep_kernels=settings.keep_kernels,
        cull_idle_after=settings.cull_idle_after,
        output_limit=settings.output_limit,
        kernel_state=settings.kernel_state,
        checkpoint_every=settings.checkpoint_every,
        awareness_interval=settings.presence_interval,
        retention=None
        if settings.record_retention_days is None
        else settings.record_retention_days * 86400.0,
        confinement=kernel_confinement(settings),
        kernel_gateway=kernel_gateway_of(settings),
        limits=RoomLimits(
            update_bytes=settings.max_update_bytes,
            update_cells=settings.max_update_cells,
            update_structs=settings.max_update_structs,
        ),
        max_notebook_bytes=settings.max_notebook_bytes,
        files=FilePolicy(
            FileForm(attribution=settings.run_attribution, outputs=settings.save_outputs),
            twin=settings.twin,
        ),
    )


async def page(request: Request) -> Response:
    """The browser client's page (every client route), or how to connect without it."""
    index = STATIC_DIR / "index.html"
    if index.exists():
        return FileResponse(index)
    return http.fallback_page(request)


def app_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/", page),
        Route("/notebooks/{path:path}", page),
        Route("/replay/{path:path}", page),
        Route("/api/health", http.health),
        Route("/api/notebooks", http.list_route, methods=["GET"]),
        Route("/api/notebooks", http.create_route, methods=["POST"]),
        Route("/api/notebooks/{path:path}/resolve", http.resolve_route, methods=["POST"]),
        Route("/api/requirements/{path:path}", http.requirements_route),
        Route("/api/download/{path:path}", download_route),
        Route("/api/me", http.me_route),
        Route("/api/invites", http.invite_route, methods=["POST"]),
        Route("/api/invites/{id}", people.revoke_invite_route, methods=["DELETE"]),
        Route("/api/people", people.people_route, methods=["GET"]),
        Route("/api/people/{id}", people.revoke_person_route, methods=["DELETE"]),
        Route("/api/join", http.join_route, methods=["POST"]),
        Route("/api/tickets", http.ticket_route, methods=["POST"]),
        Route("/api/admin/drain", http.drain_route, methods=["POST"]),
        Route("/api/replay", replay.recordings_route),
        Route("/api/replay/{path:path}/timeline", replay.timeline_route),
        Route("/api/replay/{path:path}/moment", replay.moment_route),
        Route("/api/replay/{path:path}/chunk", replay.chunk_route),
        Route("/api/replay/{path:path}/blame", replay.blame_route),
        Route("/api/replay/{path:path}/export", replay.export_route),
        Route("/api/replay/{path:path}/restore", replay.restore_route, methods=["POST"]),
        Route("/api/review/{path:path}", review.review_route),
        Route("/metrics", http.metrics),
        Route(OUTPUT_FRAME_PATH, output_frame),
        Route(OUTPUT_FRAME_PATH + "/bokeh/{name}", bokeh_script),
        WebSocketRoute(ROOMS_PATH + "{path:path}", room_endpoint),  # PairbookApp takes it first
    ]
    if (STATIC_DIR / "assets").is_dir():
        routes.append(Mount("/assets", StaticFiles(directory=STATIC_DIR / "assets")))
    if (STATIC_DIR / "frame").is_dir():
        routes.append(Mount(OUTPUT_FRAME_PATH, FrameAssets(STATIC_DIR / "frame")))
    return routes


def kernel_confinement(settings: Settings) -> Confinement:
    """How this server's kernels are fenced in: the sandbox hides the state folder, a log
    kept outside it (SQLite file, WAL and shared memory) and the notebooks folder's id (in
    the folder a kernel may write: rewritten or removed, it would keep every process of the
    deployment started after it from starting, see `sharedfolder`)."""
    sandbox = settings.kernel_sandbox
    if sandbox == "auto":  # the CLI resolves it and warns; here only for direct embedding
        sandbox, warning = choose_sandbox("auto")
        if warning is not None:
            logging.getLogger("pairbook.kernel").warning(warning)
    hidden = [settings.state_dir, settings.root / FOLDER_ID]
    store = sqlite_path_of(settings.store_url)  # a path or sqlite:/// URL, made absolute
    if store is not None:
        hidden += [store.with_name(store.name + s) for s in ("", "-wal", "-shm", "-journal")]
    return Confinement(
        sandbox=sandbox,
        hidden=tuple(hidden),
        memory=settings.kernel_memory,
        processes=settings.kernel_processes,
    )


def kernel_gateway_of(settings: Settings) -> KernelGateway | None:
    """Where kernels run when not here: the gateway, with the rooms' kernel ids kept in the
    state folder (shared by the processes of a deployment)."""
    if settings.kernel_gateway is None:
        return None
    ids = settings.state_dir / "gateway-kernels"
    return KernelGateway(settings.kernel_gateway, ids, settings.kernel_gateway_token)


def die_with_parent() -> None:
    """Be killed when the process that started this one dies, even by kill -9 (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def create_app_from_env() -> Starlette:
    """Factory for ASGI servers that import the app in a worker process (Granian)."""
    die_with_parent()  # Granian forks its workers: they must not outlive its main process
    text = os.environ.get(SETTINGS_ENV)
    if not text:
        raise RuntimeError(f"{SETTINGS_ENV} is not set: start pairbook with `pairbook serve`")
    app = create_app(Settings.from_json(text))
    tune_gc()
    return app
