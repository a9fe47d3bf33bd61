"""Forwarder: a command travels from the process its member is connected to, to the process
that owns the room, through the owner's Redis inbox stream; the reply comes back through
the sender's inbox.

Each process reads one stream, `<prefix>inbox:<process>`, holding requests (`kind`
request: id, from, room, member, body) and replies (`kind` reply: id, reply). A request
the owner sees after its sender stopped waiting is not run (the sender may have told its
member to try again, and a run must not happen twice).

The requests being answered belong to the Forwarder, not to one reading of the inbox: a
reader that failed and was started again (`pairbook.broker.loops`) leaves them running, and
their replies go out. When the Forwarder stops (the process shuts down), each request still
being answered is stopped and its sender told so, rather than left waiting for its timeout."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pairbook.broker.loops import let_finish
from pairbook.cluster.envelope import member_from_json, member_to_json
from pairbook.errors import ClusterError
from pairbook.service import Member

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("pairbook.cluster")

CommandRunner = Callable[[str, Member, dict[str, Any]], Awaitable[dict[str, Any]]]
"""Runs a forwarded command on the owner: (room, member, body) -> the command's reply."""

INBOX_KEEP = 300  # seconds an inbox outlives its last message (a gone process's goes away)
INBOX_LENGTH = 10_000  # entries an inbox keeps (approximately: Redis trims in whole nodes)
MAX_ANSWERING = 256
"""Requests of other processes answered at once: past it a request is refused at once (its
sender told to try again), not given a task of its own — a flood of forwarded commands must
not grow this process's tasks and memory without bound."""
BUSY = (
    "the process running the room is answering too many commands from other processes at "
    "once; try again in a moment"
)
STOPPED = (
    "the process running the room stopped while running your command (it may or may not "
    "have run): check the notebook, then try again in a moment"
)


class Forwarder:
    """Sends commands to other processes (`request`) and answers theirs (`run`, in a task
    group, with `runner` doing the work). `timeout` bounds how long a request waits."""

    def __init__(
        self,
        redis: Redis,
        process: str,
        runner: CommandRunner,
        *,
        prefix: str = "pairbook:",
        timeout: float = 10.0,
        block: float = 1.0,
        max_answering: int = MAX_ANSWERING,
    ) -> None:
        self.redis = redis
        self.process = process
        self.prefix = prefix
        self.timeout = timeout
        self._runner = runner
        self._block_ms = max(1, round(block * 1000))
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._closed = False
        self._answering: set[asyncio.Task[None]] = set()  # requests being answered
        self.max_answering = max_answering
        self.refused = 0  # requests refused because `max_answering` were being answered
        self._full = False  # refusing since the last warning (one warning per flood)
        self._last = "0-0"  # a process's inbox is new: nothing in it predates this reader

    def inbox(self, process: str) -> str:
        return f"{self.prefix}inbox:{process}"

    async def request(
        self, owner: str, room: str, member: Member, body: dict[str, Any]
    ) -> dict[str, Any]:
        """The owner's reply to `body` from `member`. Raises ClusterError when Redis cannot
        be reached or the owner does not answer within `timeout`: say so, and to retry."""
        if self._closed:
            raise ClusterError("this server is shutting down; reconnect and try again")
        request_id = uuid.uuid4().hex
        fields = {
            "kind": "request",
            "id": request_id,
            "from": self.process,
            "room": room,
            "member": json.dumps(member_to_json(member)),
            "body": json.dumps(body),
        }
        waiting = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = waiting
        try:
            await self._send(owner, fields)
            async with asyncio.timeout(self.timeout):
                reply: dict[str, Any] = await waiting
                return reply
        except TimeoutError:
            raise ClusterError(
                f"the process running room {room!r} did not answer within {self.timeout:g} s;"
                " it may be restarting: try again in a moment"
            ) from None
        finally:
            self._waiting.pop(request_id, None)

    @property
    def answering(self) -> int:
        """Requests of other processes being answered now."""
        return len(self._answering)

    async def run(self) -> None:
        """Read this process's inbox until cancelled: answer requests, hand replies over.
        Cancelled, it stops the requests being answered (their senders are told)."""
        try:
            while True:
                entries = await self._read(self._last)
                for entry_id, fields in entries:
                    self._last = entry_id
                    if not self._take(entry_id, fields):
                        await self._refuse(entry_id, fields)
        except asyncio.CancelledError:
            self._closed = True
            for waiting in self._waiting.values():
                if not waiting.done():
                    waiting.set_exception(ClusterError("this server is shutting down; retry"))
            await self._stop_answering()
            raise

    async def _stop_answering(self) -> None:
        answering = list(self._answering)
        for task in answering:
            task.cancel()
        if answering:
            await asyncio.wait(answering)

    async def _read(self, last: str) -> list[tuple[str, dict[str, str]]]:
        from redis.exceptions import RedisError

        # A blocking read is never cancelled half way (redis-py on Python 3.11 can then go on
        # waiting on the socket for ever): on cancel it is let finish, at most `block` later.
        try:
            answer = await let_finish(
                self.redis.xread({self.inbox(self.process): last}, count=100, block=self._block_ms)
            )
        except RedisError as exc:
            log.warning("inbox not readable", extra={"reason": str(exc)})
            await asyncio.sleep(self._block_ms / 1000)
            return []
        got: Any = answer or []
        # RESP2 answers [[stream, entries]], RESP3 {stream: entries}.
        streams = got.values() if isinstance(got, dict) else (entries for _, entries in got)
        return [(_text(i), _fields(f)) for entries in streams for i, f in entries]

    def _take(self, entry_id: str, fields: dict[str, str]) -> bool:
        """Hand a reply over, or start answering a request; False for a request that finds
        `max_answering` requests being answered (to refuse)."""
        kind = fields.get("kind")
        if kind == "reply":
            waiting = self._waiting.get(fields.get("id", ""))
            if waiting is not None and not waiting.done():
                try:
                    waiting.set_result(_object(fields.get("reply")))
                except ClusterError as exc:
                    waiting.set_exception(exc)
        elif kind == "request":
            if len(self._answering) >= self.max_answering:
                return False
            self._full = False
            task = asyncio.create_task(self._answer(entry_id, fields), name="forwarded command")
            self._answering.add(task)  # owned here, past a restart of the reader
            task.add_done_callback(self._answering.discard)
        else:
            log.warning("unknown inbox entry", extra={"entry": entry_id, "kind": kind})
        return True

    async def _refuse(self, entry_id: str, fields: dict[str, str]) -> None:
        """Answer a request with BUSY, in the reader (no task of its own: a flood slows the
        reading of this inbox, not the rest of the process)."""
        self.refused += 1
        if not self._full:
            self._full = True
            log.warning(
                "forwarded commands refused: too many being answered",
                extra={"entry": entry_id, "from": fields.get("from"), "limit": self.max_answering},
            )
        sender, request_id = fields.get("from", ""), fields.get("id", "")
        if not sender or " " in sender or not request_id:
            return
        reply = {"id": _request_body_id(fields), "ok": False, "error": BUSY}
        try:
            await self._reply(sender, request_id, reply)
        except ClusterError as exc:
            log.warning("reply not sent", extra={"to": sender, "reason": str(exc)})

    async def _answer(self, entry_id: str, fields: dict[str, str]) -> None:
        sender, request_id = fields.get("from", ""), fields.get("id", "")
        if not sender or " " in sender or not request_id:
            log.warning("request without a sender", extra={"entry": entry_id})
            return
        try:
            # A failure here must not end the task group: the whole inbox would go unread.
            expired = await self._expired(entry_id)
        except Exception:
            log.exception("request not checked", extra={"entry": entry_id, "from": sender})
            reply = _failed(fields, "the process running the room could not check the command")
        else:
            if expired:
                log.warning("request came too late", extra={"entry": entry_id, "from": sender})
                return
            try:
                reply = await self._run(fields)
            except asyncio.CancelledError:  # this process stops: the sender hears it now
                reply = {"id": _request_body_id(fields), "ok": False, "error": STOPPED}
                with contextlib.suppress(ClusterError, TimeoutError):
                    await asyncio.wait_for(self._reply(sender, request_id, reply), 1.0)
                raise
            except ClusterError as exc:  # said for people (the room is starting, moving)
                log.warning("forwarded command refused", extra={"room": fields.get("room"),
                            "reason": str(exc)})  # fmt: skip
                reply = {"id": _request_body_id(fields), "ok": False, "error": str(exc)}
            except Exception:
                log.exception("forwarded command failed", extra={"room": fields.get("room")})
                reply = _failed(fields, "the command failed on the process running the room")
        try:
            await self._reply(sender, request_id, reply)
        except ClusterError as exc:
            log.warning("reply not sent", extra={"to": sender, "reason": str(exc)})

    async def _reply(self, sender: str, request_id: str, reply: dict[str, Any]) -> None:
        await self._send(sender, {"kind": "reply", "id": request_id, "reply": json.dumps(reply)})

    async def _run(self, fields: dict[str, str]) -> dict[str, Any]:
        room = fields.get("room")
        body: dict[str, Any] = {}
        try:
            body = _object(fields.get("body"))
            if not isinstance(room, str) or not room:
                raise ClusterError("a forwarded command names no room")
            member = member_from_json(_object(fields.get("member")))
        except ClusterError as exc:
            return {"id": body.get("id"), "ok": False, "error": str(exc)}
        return await self._runner(room, member, body)

    async def _expired(self, entry_id: str) -> bool:
        """Whether the sender has stopped waiting (the entry id is Redis's clock at XADD)."""
        seconds, micros = await self.redis.time()
        sent_ms = int(entry_id.split("-", 1)[0])
        return seconds * 1000 + micros // 1000 - sent_ms > self.timeout * 1000

    async def _send(self, process: str, fields: dict[str, str]) -> None:
        from redis.exceptions import RedisError

        inbox = self.inbox(process)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.xadd(inbox, fields, maxlen=INBOX_LENGTH, approximate=True)  # type: ignore[arg-type]
                pipe.expire(inbox, INBOX_KEEP)
                await pipe.execute()
        except RedisError as exc:
            raise ClusterError(f"Redis did not take the message ({exc}); try again") from exc


def _text(value: str | bytes) -> str:
    # Not strict: an entry that is not UTF-8 (pairbook writes none) would fail every read
    # of the inbox at that entry, and the reader, started again, would read it again for
    # ever. Replaced, its request fails its checks and is answered so.
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _fields(raw: dict[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in raw.items()}


def _object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text is not None else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ClusterError("a forwarded message is not a JSON object")
    return value


def _failed(fields: dict[str, str], what: str) -> dict[str, Any]:
    """The reply to a request that was not run through: `what` went wrong, logged there."""
    error = f"{what}; it is logged there: try again in a moment"
    return {"id": _request_body_id(fields), "ok": False, "error": error}


def _request_body_id(fields: dict[str, str]) -> Any:
    try:
        return _object(fields.get("body")).get("id")
    except ClusterError:
        return None
