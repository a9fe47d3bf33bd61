"""A Jupyter Kernel Gateway: its REST API for kernels, and a kernel's channels over its
websocket, with the client API a KernelSession uses.

The protocol is jupyter_server's (which jupyter-kernel-gateway serves): `POST /api/kernels`
starts a kernel (`{"name", "path", "env"}`), `GET/DELETE /api/kernels/{id}`, `POST
.../interrupt` and `.../restart`; `GET /api/kernels/{id}/channels` is a websocket carrying
each Jupyter message as JSON text with its `channel` beside it (the legacy framing, as
jupyter_server's own GatewayKernelClient speaks it). Unlike that client, this one is
asyncio throughout: one reader task routes messages to per-channel queues, with no thread
and no busy wait. `Authorization: token …` carries the gateway's KG_AUTH_TOKEN when set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import websockets
from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session
from websockets.asyncio.client import ClientConnection

from pairbook.errors import KernelError

log = logging.getLogger("pairbook.kernel")

CHANNELS = ("shell", "iopub", "stdin", "control", "hb")


class Gateway:
    """The REST side of one gateway: kernels by id."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{url!r} is not a kernel gateway URL such as http://host:8889")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    @property
    def ws_url(self) -> str:
        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit(parts._replace(scheme=scheme))

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}

    async def start(self, kernel_name: str, path: str, env: dict[str, str]) -> str:
        """A new kernel working in `path` (relative to the gateway's root); its id."""
        body = {"name": kernel_name, "path": path, "env": env}
        model = await self._call("POST", "/api/kernels", body)
        if not isinstance(model, dict) or not isinstance(model.get("id"), str):
            raise KernelError(f"the kernel gateway did not start a kernel: {model!r}")
        return str(model["id"])

    async def model(self, kernel_id: str) -> dict[str, Any] | None:
        """The kernel's model (id, name, execution_state…), None if the gateway has no such
        kernel (any more)."""
        try:
            model = await self._call("GET", f"/api/kernels/{quote(kernel_id)}")
        except LookupError:
            return None
        return model if isinstance(model, dict) else None

    async def interrupt(self, kernel_id: str) -> None:
        await self._call("POST", f"/api/kernels/{quote(kernel_id)}/interrupt", {})

    async def restart(self, kernel_id: str) -> None:
        await self._call("POST", f"/api/kernels/{quote(kernel_id)}/restart", {})

    async def delete(self, kernel_id: str) -> None:
        with contextlib.suppress(LookupError):
            await self._call("DELETE", f"/api/kernels/{quote(kernel_id)}")

    def kernelspecs(self) -> dict[str, str]:
        """The kernels the gateway offers: name -> display name (asked synchronously, as
        the local kernelspecs are read)."""
        answer = self._request("GET", "/api/kernelspecs", None)
        specs = answer.get("kernelspecs", {}) if isinstance(answer, dict) else {}
        return {
            str(name): str(spec.get("spec", {}).get("display_name", name))
            for name, spec in specs.items()
            if isinstance(spec, dict)
        }

    async def _call(self, method: str, path: str, body: object = None) -> Any:
        return await asyncio.to_thread(self._request, method, path, body)

    def _request(self, method: str, path: str, body: object) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        for name, value in {**self.headers(), "Content-Type": "application/json"}.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise LookupError(path) from None
            detail = exc.read()[:500].decode(errors="replace")
            raise KernelError(f"the kernel gateway answered {exc.code}: {detail}") from None
        except OSError as exc:
            raise KernelError(f"the kernel gateway at {self.url} cannot be reached: {exc}") from exc
        return json.loads(raw) if raw else None


class GatewayChannel:
    """One channel's queue of received messages, and its way out (`send`)."""

    def __init__(self, name: str, client: GatewayClient) -> None:
        self.name = name
        self._client = client
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def send(self, message: dict[str, Any]) -> None:
        self._client.send(self.name, message)

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message; queue.Empty after `timeout` seconds, as jupyter_client's
        channels raise."""
        if not self.queue.empty():
            return self.queue.get_nowait()
        if self._client.closed:
            raise queue.Empty
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            raise queue.Empty from None


class GatewayClient:
    """A kernel's channels through the gateway's websocket; the subset of jupyter_client's
    AsyncKernelClient a KernelSession uses (execute, input, the get_*_msg calls, session,
    shell_channel, wait_for_ready)."""

    def __init__(self, gateway: Gateway, kernel_id: str) -> None:
        self.gateway = gateway
        self.kernel_id = kernel_id
        self.session = Session(key=b"")  # the gateway signs what it passes to the kernel
        self.channels = {name: GatewayChannel(name, self) for name in CHANNELS}
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self.closed = True
        self.restarted = False  # the gateway said it restarted the kernel (it died)

    @property
    def shell_channel(self) -> GatewayChannel:
        return self.channels["shell"]

    async def start_channels(self) -> None:
        url = f"{self.gateway.ws_url}/api/kernels/{quote(self.kernel_id)}/channels"
        try:
            self._ws = await websockets.connect(
                url, additional_headers=self.gateway.headers(), max_size=None,
                open_timeout=self.gateway.timeout,
            )  # fmt: skip
        except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
            raise KernelError(
                f"cannot reach kernel {self.kernel_id} on the gateway: {exc}"
            ) from exc
        self.closed = False
        self._reader = asyncio.create_task(self._read(self._ws))

    def stop_channels(self) -> None:
        self.closed = True
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        ws, self._ws = self._ws, None
        if ws is not None:
            task = asyncio.ensure_future(ws.close())
            task.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                if isinstance(frame, bytes):
                    log.warning("binary kernel message from the gateway skipped")
                    continue
                self._route(json.loads(frame))
        except websockets.ConnectionClosed:
            pass
        except Exception:
            log.exception("reading the kernel gateway's websocket failed")
        finally:
            self.closed = True

    def _route(self, message: dict[str, Any]) -> None:
        channel = self.channels.get(str(message.pop("channel", "")))
        if channel is None:
            return
        content = message.get("content") or {}
        if (
            channel.name == "iopub"
            and message.get("msg_type") == "status"
            and content.get("execution_state") in ("restarting", "dead")
            and not message.get("parent_header")
        ):
            self.restarted = True  # the server's own word: the kernel died
        channel.queue.put_nowait(message)

    def send(self, channel: str, message: dict[str, Any]) -> None:
        if self._ws is None or self.closed:
            raise KernelError("the kernel gateway's connection is closed")
        framed = {**message, "channel": channel}
        text = json.dumps(framed, default=json_default)
        task = asyncio.ensure_future(self._ws.send(text))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())

    def _request(self, channel: str, kind: str, content: dict[str, Any]) -> str:
        message = self.session.msg(kind, content)
        self.send(channel, message)
        return str(message["header"]["msg_id"])

    def execute(
        self,
        code: str,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, Any] | None = None,
        allow_stdin: bool = True,
        stop_on_error: bool = True,
    ) -> str:
        content = {
            "code": code, "silent": silent, "store_history": store_history,
            "user_expressions": user_expressions or {}, "allow_stdin": allow_stdin,
            "stop_on_error": stop_on_error,
        }  # fmt: skip
        return self._request("shell", "execute_request", content)

    def input(self, text: str) -> None:
        self._request("stdin", "input_reply", {"value": text})

    async def get_shell_msg(self, timeout: float | None = None) -> dict[str, Any]:
        return await self.channels["shell"].get_msg(timeout)

    async def get_iopub_msg(self, timeout: float | None = None) -> dict[str, Any]:
        return await self.channels["iopub"].get_msg(timeout)

    async def get_stdin_msg(self, timeout: float | None = None) -> dict[str, Any]:
        return await self.channels["stdin"].get_msg(timeout)

    async def wait_for_ready(self, timeout: float) -> None:
        """Until the kernel answers a kernel_info request (RuntimeError after `timeout`);
        what came before on IOPub is dropped, as jupyter_client does."""
        async with asyncio.timeout(timeout):
            while True:
                msg_id = self._request("shell", "kernel_info_request", {})
                with contextlib.suppress(queue.Empty):
                    while True:
                        reply = await self.get_shell_msg(timeout=1)
                        if reply["parent_header"].get("msg_id") == msg_id:
                            self._drain("iopub")
                            self.restarted = False
                            return
                if self.closed:
                    raise RuntimeError("the gateway closed the kernel's connection")

    def _drain(self, channel: str) -> None:
        pending = self.channels[channel].queue
        while not pending.empty():
            pending.get_nowait()
