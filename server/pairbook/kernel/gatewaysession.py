"""GatewayKernelSession: a room's kernel on a Jupyter Kernel Gateway (`--kernel-gateway URL`),
so that it outlives the pairbook process that started it.

The kernel's id is kept in the state folder (`.pairbook/gateway-kernels/`, one small file a
room, written atomically): whichever process runs the room next — the same one restarted,
or another that took the room over — finds the id, asks the gateway whether that kernel is
still there, and re-attaches to it with its variables intact; if the gateway has no such
kernel any more, a new one starts. When the server stops, it lets go of the kernel
(`release`) instead of shutting it down; a shutdown asked for by a person, a culled idle
kernel, or another kernel chosen for the room does shut it down on the gateway.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pairbook.errors import KernelError
from pairbook.kernel.gateway import Gateway, GatewayClient
from pairbook.kernel.session import KernelSession, StatusCallback

log = logging.getLogger("pairbook.kernel")


@dataclass(frozen=True, slots=True)
class KernelGateway:
    """Where the rooms' kernels run, and where their ids are kept."""

    url: str
    ids: Path  # a folder of the state directory, shared by the processes of a deployment
    token: str | None = None

    def gateway(self) -> Gateway:
        return Gateway(self.url, self.token)


class KernelIds:
    """The gateway kernel of each room, by room, in files under one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, room_id: str) -> Path:
        return self.folder / (hashlib.sha256(room_id.encode()).hexdigest()[:32] + ".json")

    def get(self, room_id: str) -> str | None:
        try:
            saved = json.loads(self._path(room_id).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict) or saved.get("room") != room_id:
            return None
        kernel_id = saved.get("kernel_id")
        return kernel_id if isinstance(kernel_id, str) else None

    def put(self, room_id: str, kernel_id: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps({"room": room_id, "kernel_id": kernel_id})
        handle, temp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text)
            os.replace(temp, self._path(room_id))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def forget(self, room_id: str, kernel_id: str) -> None:
        if self.get(room_id) == kernel_id:
            with contextlib.suppress(OSError):
                self._path(room_id).unlink()


class GatewayKernelSession(KernelSession):
    """A KernelSession whose kernel runs on the gateway: started (or found again) over its
    REST API, talked to over its websocket; running code is KernelSession's own."""

    def __init__(
        self,
        kernel_name: str,
        room_id: str,
        config: KernelGateway,
        on_status: StatusCallback,
        *,
        startup_timeout: float = 60.0,
    ) -> None:
        super().__init__(kernel_name, Path("."), on_status, startup_timeout=startup_timeout)
        self.room_id = room_id
        self._gateway = config.gateway()
        self._ids = KernelIds(config.ids)
        self.kernel_id: str | None = None

    @property
    def started(self) -> bool:
        return self._client is not None and self.kernel_id is not None

    async def start(self) -> None:
        if self.started:
            return
        self._set_status("starting")
        try:
            kernel_id = await self._find_or_start()
            client = GatewayClient(self._gateway, kernel_id)
            await client.start_channels()
        except KernelError:
            self._set_status("dead")
            raise
        try:
            await client.wait_for_ready(self._startup_timeout)
        except (TimeoutError, RuntimeError) as exc:
            client.stop_channels()
            self._set_status("dead")
            raise KernelError(f"the {self.kernel_name} kernel did not become ready: {exc}") from exc
        self.kernel_id, self._client = kernel_id, client
        self._set_status("idle")
        log.info("gateway kernel ready", extra={"kernel": kernel_id, "room": self.room_id})

    async def _find_or_start(self) -> str:
        kept = self._ids.get(self.room_id)
        if kept is not None:
            model = await self._gateway.model(kept)
            if model is not None and model.get("name") == self.kernel_name:
                log.info("re-attaching to the gateway kernel", extra={"kernel": kept})
                return kept
            self._ids.forget(self.room_id, kept)
        folder = str(PurePosixPath(self.room_id).parent)
        kernel_id = await self._gateway.start(self.kernel_name, "" if folder == "." else folder, {})
        self._ids.put(self.room_id, kernel_id)
        return kernel_id

    def connection_info(self) -> dict[str, Any] | None:
        return None  # its sockets are the gateway's: completion asks nothing here

    async def alive(self) -> bool:
        client = self._client
        if client is None or self.kernel_id is None or client.closed or client.restarted:
            return False
        return await self._gateway.model(self.kernel_id) is not None

    async def interrupt(self) -> None:
        if self.kernel_id is not None and self.started and self._executing:
            self._interrupted = True
            await self._gateway.interrupt(self.kernel_id)
        else:
            self._interrupt_pending = True

    async def restart(self) -> None:
        if not self.started or self.kernel_id is None:
            await self.start()
            return
        self._end_run()
        self._set_status("restarting")
        try:
            await self._gateway.restart(self.kernel_id)
            await self._client.wait_for_ready(self._startup_timeout)
        except (KernelError, TimeoutError, RuntimeError) as exc:
            self._set_status("dead")
            raise KernelError(f"the kernel could not restart: {exc}") from exc
        self._set_status("idle")

    async def release(self) -> None:
        """Let go of the kernel, which lives on on the gateway (the server stops)."""
        self._close_channels()
        self._set_status("not started")

    async def shutdown(self) -> None:
        self._end_run()
        kernel_id = self.kernel_id or self._ids.get(self.room_id)
        self._close_channels()
        if kernel_id is not None:
            self._ids.forget(self.room_id, kernel_id)
            with contextlib.suppress(KernelError):
                await self._gateway.delete(kernel_id)
        self._set_status("not started")

    def _close_channels(self) -> None:
        client, self._client, self.kernel_id = self._client, None, None
        if client is not None:
            client.stop_channels()


class GatewayKernelSessions:
    """Makes a room's kernels on the gateway (a KernelFactory)."""

    def __init__(self, config: KernelGateway, room_id: str) -> None:
        self._config = config
        self._room_id = room_id

    def specs(self) -> dict[str, str]:
        """The kernels the gateway offers; as the local ones are named (one set of kernels
        is installed on both in a deployment) when it cannot be asked."""
        try:
            return Gateway(self._config.url, self._config.token, timeout=5).kernelspecs()
        except KernelError as exc:
            log.warning("the kernel gateway's kernels not listed", extra={"error": str(exc)})
            return {}

    def __call__(self, kernel_name: str, on_status: StatusCallback) -> GatewayKernelSession:
        return GatewayKernelSession(kernel_name, self._room_id, self._config, on_status)
