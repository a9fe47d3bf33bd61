"""Introspection: completion and inspection from the room's shared kernel, answered to the
person who asked and to nobody else (nothing is written into the document).

ipykernel answers shell requests one at a time, so a complete_request sent on the runner's
shell waits behind a long run. A kernel that supports subshells (JEP 91, ipykernel >= 7)
gets one subshell for introspection: a thread of its own in the kernel that answers while a
run executes. The requests travel on a client of their own (its own sockets and session),
so they never mix with the runner's messages. A kernel without subshells is asked on its
main shell only while no run is under way; during one the asker gets a clear note at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import time
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from jupyter_client.asynchronous.client import AsyncKernelClient

from pairbook.errors import KernelError

log = logging.getLogger("pairbook.introspection")

TIMEOUT = 10.0  # seconds an answer may take once the kernel has completed something
WARM_UP_TIMEOUT = 60.0
"""Seconds a kernel's first completion may take, the warm-up's or a person's: it loads jedi
and parses the stubs it needs (1 s on a quiet machine, 6-9 s at a load average of 15, more
in a sandbox's empty cache). Asked before the warm-up (Tab right after the first runs), a
person's first completion took that long: past `TIMEOUT` they were told the kernel did not
answer, and the answer, when it came, was dropped."""
WARM_UP_CODE = "import os\nos.path.jo"
"""What a new kernel is asked to complete before anyone asks: it loads jedi and parses the
stubs of builtins, os and os.path, which most first completions need."""
MAX_CODE = 60_000  # characters of code in one request (a command frame holds 64 KiB)

NOT_RUNNING = "the kernel is not running: run a cell to start it, then ask again"
STARTING = "the kernel is still starting for a run: ask again once it is up"
BUSY = (
    "the kernel is busy with a run and cannot complete or inspect until it ends "
    "(it does not support subshells)"
)


@runtime_checkable
class Reachable(Protocol):
    """A kernel a second client can reach (`KernelSession` is one)."""

    def connection_info(self) -> dict[str, Any] | None:
        """How to connect to the running kernel, or None when none runs."""
        ...


@dataclass(slots=True)
class _Link:
    """A client of one kernel process, with the subshell it asks in (None: the main shell)."""

    client: AsyncKernelClient
    connection: dict[str, Any]
    subshell: str | None
    warm: bool = False  # the kernel has answered a completion: jedi is loaded


def check_code(value: Any) -> str | None:
    """The `code` argument's validator."""
    return None if len(value) <= MAX_CODE else f"code longer than {MAX_CODE} characters"


def check_cursor(code: str, cursor_pos: int) -> None:
    if not 0 <= cursor_pos <= len(code):
        raise ValueError(f"cursor_pos {cursor_pos} is outside the code (0 to {len(code)})")


def completion_result(content: dict[str, Any]) -> dict[str, Any]:
    """A complete_reply's content as the asker gets it: matches, the range they replace,
    and their types when the kernel says them (IPython's experimental metadata)."""
    matches = [str(m) for m in content.get("matches") or []]
    types = (content.get("metadata") or {}).get("_jupyter_types_experimental") or []
    typed = [
        {"text": str(t.get("text", "")), "type": str(t.get("type") or ""),
         "signature": str(t.get("signature") or "")}
        for t in types if isinstance(t, dict)
    ]  # fmt: skip
    return {
        "matches": matches,
        "cursor_start": int(content.get("cursor_start") or 0),
        "cursor_end": int(content.get("cursor_end") or 0),
        "types": typed,
    }


def inspection_result(content: dict[str, Any]) -> dict[str, Any]:
    """An inspect_reply's content as the asker gets it: whether something was found and
    its text/plain form only (never HTML into the page; ANSI colours stay for the client)."""
    data = content.get("data") or {}
    return {"found": bool(content.get("found")), "text": str(data.get("text/plain", ""))}


class Introspection:
    """Asks a kernel for completions and documentation on a client of its own."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self._timeout = timeout
        self._link: _Link | None = None
        self._lock = asyncio.Lock()
        self.completions = 0  # completions answered (the warm-up's is not counted)

    async def complete(
        self, kernel: object, code: str, cursor_pos: int, *, busy: bool
    ) -> dict[str, Any]:
        """The kernel's completions at `cursor_pos` (code points, as Jupyter counts)."""
        check_cursor(code, cursor_pos)
        content = {"code": code, "cursor_pos": cursor_pos}
        reply = await self._ask(kernel, "complete_request", content, busy=busy)
        self.completions += 1
        return completion_result(reply)

    async def inspect(
        self, kernel: object, code: str, cursor_pos: int, detail_level: int, *, busy: bool
    ) -> dict[str, Any]:
        """What the kernel knows of the name at `cursor_pos` (its signature, docstring)."""
        check_cursor(code, cursor_pos)
        content = {"code": code, "cursor_pos": cursor_pos, "detail_level": detail_level}
        reply = await self._ask(kernel, "inspect_request", content, busy=busy)
        return inspection_result(reply)

    async def warm_up(self, kernel: object) -> bool:
        """Ask a completion nobody waits for, in the kernel's subshell only (never on a
        main shell a run may need): whether it was answered. Never raises but for
        cancellation: a kernel that cannot answer is simply not warmed up."""
        try:
            content = {"code": WARM_UP_CODE, "cursor_pos": len(WARM_UP_CODE)}
            await self._ask(kernel, "complete_request", content, busy=True,
                            timeout=WARM_UP_TIMEOUT)  # fmt: skip
        except KernelError as exc:
            log.info("completion not warmed up", extra={"error": str(exc)})
            return False
        except Exception:
            log.exception("completion warm-up failed")
            return False
        return True

    async def _ask(
        self,
        kernel: object,
        kind: str,
        content: dict[str, Any],
        *,
        busy: bool,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        if not isinstance(kernel, Reachable):
            raise KernelError("this kernel cannot be asked for completions")
        async with self._lock:
            connection = kernel.connection_info()
            if connection is None:  # a run under way or waiting has to start one first
                raise KernelError(STARTING if busy else NOT_RUNNING)
            link = await self._link_to(connection)
            if link.subshell is None and busy:
                raise KernelError(BUSY)
            reply = await self._request(link, kind, content, timeout)
            if reply.get("ename") == "UnknownSubshellError":
                # The kernel restarted on the same sockets: its subshells went with it.
                self._drop()
                link = await self._link_to(connection)
                if link.subshell is None and busy:
                    raise KernelError(BUSY)
                reply = await self._request(link, kind, content, timeout)
        if reply.get("status") != "ok":
            raise KernelError(f"the kernel could not answer: {reply.get('evalue') or kind}")
        return reply

    async def _link_to(self, connection: dict[str, Any]) -> _Link:
        if self._link is not None and self._link.connection == connection:
            return self._link
        self._drop()
        client = AsyncKernelClient()
        client.load_connection_info(connection)  # type: ignore[arg-type]  # its own session
        client.start_channels(iopub=False, stdin=False, hb=False)
        link = _Link(client, connection, None)
        try:
            link.subshell = await self._subshell(link)
        except BaseException:
            client.stop_channels()
            raise
        self._link = link
        return link

    async def _subshell(self, link: _Link) -> str | None:
        """A new subshell's id, or None when the kernel has none to give. Asked on the
        control channel, which a run does not hold up."""
        info = await self._control(link, "kernel_info_request")
        if "kernel subshells" not in (info.get("supported_features") or []):
            return None
        # A kept kernel (its room unloaded and opened again) still has the subshell made
        # for it before: asked again, not made anew, so that threads do not pile up.
        listed = await self._control(link, "list_subshell_request")
        existing = listed.get("subshell_id") or []
        if listed.get("status") == "ok" and existing:
            return str(existing[0])
        reply = await self._control(link, "create_subshell_request")
        subshell = reply.get("subshell_id")
        return str(subshell) if reply.get("status") == "ok" and subshell else None

    async def _control(self, link: _Link, kind: str) -> dict[str, Any]:
        message = link.client.session.msg(kind, {})
        link.client.control_channel.send(message)
        msg_id = message["header"]["msg_id"]
        return await self._receive(link.client.get_control_msg, msg_id, self._wait(link))

    def _wait(self, link: _Link) -> float:
        """How long an answer may take: a cold kernel's as long as a warm-up's."""
        return self._timeout if link.warm else WARM_UP_TIMEOUT

    async def _request(
        self, link: _Link, kind: str, content: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        message = link.client.session.msg(kind, content)
        if link.subshell is not None:
            message["header"]["subshell_id"] = link.subshell
        link.client.shell_channel.send(message)
        msg_id = message["header"]["msg_id"]
        reply = await self._receive(link.client.get_shell_msg, msg_id, timeout or self._wait(link))
        link.warm = link.warm or kind == "complete_request"
        return reply

    async def _receive(self, get: Any, msg_id: str, timeout: float) -> dict[str, Any]:
        """The reply to `msg_id` (replies to requests that timed out earlier are skipped)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(queue.Empty):
                reply = await get(timeout=min(left, 0.5))
                if reply["parent_header"].get("msg_id") == msg_id:
                    return dict(reply["content"])
        raise KernelError(f"the kernel did not answer within {timeout:g} s: try again")

    def forget(self) -> None:
        """Stop asking this kernel (it is handed over to outlive the room)."""
        self._drop()

    def _drop(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.client.stop_channels()

    async def close(self) -> None:
        """Stop the client (the kernel's subshell ends with the kernel)."""
        async with self._lock:
            self._drop()
