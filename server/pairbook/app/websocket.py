"""The websocket endpoint: one connection = one peer in one room."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from starlette.websockets import WebSocket

from pairbook.app import crosssite
from pairbook.app.channel import WebSocketChannel
from pairbook.app.context import AppContext, context_of, socket_grant_of
from pairbook.app.errors import close_code_for, reason_for
from pairbook.auth import Grant
from pairbook.errors import AuthError, PairbookError, ProtocolError, is_failure
from pairbook.rooms import ChannelClosed, CloseCode, OpenRoom, Peer, Room, TokenBucket
from pairbook.types import RoomId, UserId

log = logging.getLogger("pairbook.websocket")


def origin_allowed(websocket: WebSocket, allowed: tuple[str, ...]) -> bool:
    """Browsers send Origin; it must be this server or an allowed one. Non-browser clients
    (no Origin header) are let through: tokens guard them."""
    headers = websocket.headers
    return crosssite.origin_allowed(headers.get("origin"), headers.get("host", ""), allowed)


async def reject(websocket: WebSocket, code: CloseCode, reason: str) -> None:
    """Accept then close, so the client can read why (a bare 403 says nothing)."""
    await websocket.accept()
    await close_with(websocket, code, reason)


async def close_with(websocket: WebSocket, code: CloseCode, reason: str) -> None:
    """Close an accepted websocket with a code and as much of `reason` as a close frame
    holds."""
    await websocket.close(int(code), reason[:120])


async def admit(websocket: WebSocket, context: AppContext) -> Grant | None:
    """The caller's grant, if its origin and its token (or ticket) let it in; else it is told
    why, closed, and None returned."""
    if not origin_allowed(websocket, context.settings.allowed_origins):
        origin = websocket.headers.get("origin")
        log.warning("origin refused", extra={"origin": origin})
        await reject(websocket, CloseCode.FORBIDDEN, f"origin {origin} is not allowed")
        return None
    try:
        return socket_grant_of(websocket)  # a bare invite is refused: join first
    except AuthError as exc:
        context.rooms.counters.disconnects["unauthorized"] += 1
        await reject(websocket, CloseCode.UNAUTHORIZED, str(exc))
        return None


async def room_endpoint(websocket: WebSocket) -> None:
    context = context_of(websocket)
    grant = await admit(websocket, context)
    if grant is None:
        return
    assert grant.user is not None  # only invites have no person, and they were refused
    room_id = RoomId(websocket.path_params["path"])  # already percent-decoded by Starlette
    # Accepted before the room opens: a room built from its file takes tens of ms for a
    # large notebook (more on a busy machine), and meanwhile the client has its handshake
    # answered and sends its sync step 1, rather than waiting to start that until then.
    await websocket.accept()
    entry = await _open(websocket, context, room_id, grant.user.id)
    if entry is None:
        return
    settings = context.settings
    peer = Peer(
        secrets.token_hex(4),
        grant.user,
        grant.role,
        WebSocketChannel(websocket),
        queue_limit=settings.send_queue_frames,
        buffer_limit=settings.send_buffer_bytes,
        limiter=TokenBucket(settings.max_messages_per_second, settings.message_burst),
        send_timeout=settings.send_timeout,
        grant=grant.id,
    )
    log.info(
        "peer joined",
        extra={"room": room_id, "peer": peer.key, "user": grant.user.id, "role": grant.role.value},
    )
    try:
        entry.room.join(peer)
        context.connections.add(grant.id, peer)
        if not context.tokens.valid(grant.id):  # revoked while the room was opening
            context.connections.close([grant.id])
        await _pump(entry.room, peer, settings.max_frame_bytes)
    except BaseException as exc:  # the join, a service's hook on it: answered as any failure
        if not is_failure(exc):
            raise
        _fail(peer, entry.room.id, exc)
    finally:
        # Out of the room first: a peer that stopped reading may take up to the send timeout
        # to take its close frame, and the room must not wait for it.
        try:
            context.connections.remove(grant.id, peer)
            entry.room.leave(peer)
        except BaseException as exc:
            if not is_failure(exc):
                raise
            _fail(peer, entry.room.id, exc)
        _log_left(context, room_id, peer)
        await peer.close()


REFUSED_BELOW = frozenset({CloseCode.PROTOCOL_ERROR, CloseCode.MESSAGE_TOO_BIG})
"""Close codes with which the ASGI server itself ends a connection (uvicorn: a frame over
`--max-frame` is 1009, a malformed one 1002): counted by that reason, not as the client's."""

OPEN_FAILED = "the server could not open this notebook (it is logged); reconnect or report it"
"""What a joiner is told when its room failed to open for a reason nobody expected."""


async def _open(
    websocket: WebSocket, context: AppContext, room_id: RoomId, user: UserId
) -> OpenRoom | None:
    """The open room, or None once the websocket is closed with why it could not open:
    a PairbookError with its code, anything else (a bug, a pycrdt panic) logged with its
    traceback, counted and answered 1011 — never a connection dropped without a close frame."""
    try:
        return await context.rooms.open(room_id)
    except PairbookError as exc:
        await close_with(websocket, close_code_for(exc), reason_for(exc, context.rooms.root))
    except BaseException as exc:
        if not is_failure(exc):
            raise
        log.error("room failed to open", exc_info=exc, extra={"room": room_id, "user": user})
        context.rooms.counters.disconnects[CloseCode.INTERNAL_ERROR.name.lower()] += 1
        await close_with(websocket, CloseCode.INTERNAL_ERROR, OPEN_FAILED)
    return None


def _fail(peer: Peer, room_id: RoomId, exc: BaseException) -> None:
    """A failure of the connection (a bug, not the peer's doing): logged with its traceback
    and answered with 1011 (if nothing else was asked of the peer already)."""
    log.error(
        "connection failed",
        exc_info=exc,
        extra={"room": room_id, "peer": peer.key, "user": peer.user.id},
    )
    peer.request_close(CloseCode.INTERNAL_ERROR, "the server failed; reconnect")


def _log_left(context: AppContext, room_id: RoomId, peer: Peer) -> None:
    request = peer.close_request
    code = None if request is None else request[0]
    reason = "client" if code in (None, CloseCode.NORMAL) else code.name.lower()
    context.rooms.counters.disconnects[reason] += 1
    extra: dict[str, object] = {"room": room_id, "peer": peer.key, "reason": reason}
    if peer.slow_since is not None:
        # from finding it too slow to its leaving the room (its queue is dropped at once)
        extra["closed_in_ms"] = round((time.monotonic() - peer.slow_since) * 1000, 1)
        extra["queued_bytes"], extra["held_bytes"] = peer.slow_bytes
    log.info("peer left", extra=extra)


async def _pump(room: Room, peer: Peer, max_frame: int) -> None:
    """Receive for the peer in the connection's own task until either side ends; frames that
    have to wait go out from the peer's backlog task (`Peer.send_on_demand`), and a close
    requested meanwhile interrupts the receive. A failure is logged and closes the peer with
    INTERNAL_ERROR."""
    task = asyncio.current_task()
    assert task is not None
    receiving, interrupted = True, False

    def interrupt() -> None:
        nonlocal interrupted
        if receiving and asyncio.current_task() is not task:  # else it ends by itself
            interrupted = True
            task.cancel()

    peer.send_on_demand(interrupt)
    try:
        await _receive(room, peer, max_frame)
    except asyncio.CancelledError:
        if not interrupted or task.uncancel() > 0:
            raise
    except BaseException as exc:
        # Outside `room.receive` (the channel's receive, the limiter): a bug all the same,
        # logged and answered with 1011, not left to end as a normal closure.
        if not is_failure(exc):
            raise
        _fail(peer, room.id, exc)
    finally:
        receiving = False
        try:
            # The receive side ended; let the frame in flight go out, briefly.
            await peer.finish_sending(1.0)
        except BaseException as exc:
            if not is_failure(exc):
                raise
            _fail(peer, room.id, exc)


async def _receive(room: Room, peer: Peer, max_frame: int) -> None:
    channel = peer.channel
    while peer.close_request is None:
        try:
            frame = await channel.receive()
        except ChannelClosed as exc:
            if exc.code in REFUSED_BELOW:  # the ASGI server failed the connection, not the peer
                code = CloseCode(exc.code)
                peer.request_close(code, f"closed by the websocket server ({code.name.lower()})")
            peer.mark_gone()
            return
        except ProtocolError as exc:
            peer.request_close(CloseCode.UNSUPPORTED_DATA, str(exc))
            return
        if len(frame) > max_frame:
            peer.request_close(
                CloseCode.MESSAGE_TOO_BIG, f"frame of {len(frame)} bytes exceeds {max_frame}"
            )
            return
        if not peer.limiter.take():
            peer.request_close(
                CloseCode.POLICY_VIOLATION, "too many messages; slow down and reconnect"
            )
            return
        try:
            await room.receive(peer, frame, pipelined=True)
        except PairbookError as exc:
            room.log_refusal(peer, exc)
            peer.request_close(close_code_for(exc), reason_for(exc))
            return
        except BaseException as exc:
            # A bug (or a pycrdt panic), not the peer's fault: logged with its traceback,
            # never swallowed.
            if not is_failure(exc):
                raise
            log.error(
                "connection failed",
                exc_info=exc,
                extra={"room": room.id, "peer": peer.key, "user": peer.user.id},
            )
            peer.request_close(
                CloseCode.INTERNAL_ERROR,
                "the server failed on your last message (it is logged); reconnect",
            )
            return
