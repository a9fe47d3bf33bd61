"""Settings: every knob of a pairbook server in one frozen object."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

ServerKind = Literal["granian", "uvicorn"]
KernelSandbox = Literal["auto", "bwrap", "none"]
Durability = Literal["normal", "full"]

SETTINGS_ENV = "PAIRBOOK_SETTINGS"
"""Environment variable carrying the JSON settings from the CLI into the ASGI worker process."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a pairbook server needs to know; built once by the CLI, never mutated."""

    root: Path
    state_dir: Path
    store_url: str
    broker_url: str | None = None
    """Where rooms meet other processes (`redis://…`); None: this process alone."""
    owner_lease: float = 5.0
    """With a broker: seconds a room's owner holds it unrenewed (a dead owner's rooms move)."""
    max_forwarded: int = 256
    """With a broker: commands of other processes this one answers at once (past it, refused)."""
    owner_token_hashes: tuple[str, ...] = ()
    """Digests of owner tokens valid for this run only (`--owner-token`, the supervisor's);
    the worker never sees a plain token, so neither does a kernel inheriting its env."""
    owner_name: str | None = None  # None: the saved profile, else "Owner"
    owner_email: str | None = None
    host: str = "127.0.0.1"
    port: int = 8888
    server: ServerKind = "uvicorn"
    durability: Durability = "normal"
    allowed_origins: tuple[str, ...] = ()
    autosave_delay: float = 1.0
    file_poll_interval: float = 2.0
    room_unload_delay: float = 30.0
    snapshot_every: int = 500
    max_frame_bytes: int = 64 * 1024 * 1024
    max_update_bytes: int = 8 * 1024 * 1024
    max_update_cells: int = 2000
    max_update_structs: int = 50_000
    max_notebook_bytes: int = 64 * 1024 * 1024
    max_messages_per_second: float = 400.0
    message_burst: int = 2000
    send_queue_frames: int = 4096
    send_buffer_bytes: int = 8 * 1024 * 1024
    send_timeout: float = 10.0
    keepalive: float = 10.0  # seconds of silence toward a peer before it is sent a keepalive
    sync_timeout: float = 15.0
    keep_kernels: bool = False
    cull_idle_after: float | None = None  # seconds idle before a kernel is shut down
    output_limit: int = 1_000_000
    kernel_state: bool = True
    kernel_sandbox: KernelSandbox = "auto"  # the CLI resolves auto before the server starts
    kernel_memory: int | None = None  # bytes of address space per kernel process
    kernel_processes: int | None = None  # processes of one kernel, together
    kernel_gateway: str | None = None  # a Jupyter Kernel Gateway's URL: kernels run there
    kernel_gateway_token: str | None = None  # its KG_AUTH_TOKEN
    record_retention_days: float | None = None  # None: the recording is kept whole
    checkpoint_every: int = 1000
    presence_interval: float = 1.0
    run_attribution: Literal["none", "short"] = "none"  # run bookkeeping in the .ipynb
    save_outputs: bool = True  # False: .ipynb files are written without outputs and counts
    twin: bool = True  # a notebook without a jupytext pairing gets a .py twin
    log_format: Literal["text", "json"] = "text"
    log_level: str = "info"
    extra: dict[str, Any] = field(default_factory=dict)

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some fields replaced."""
        return replace(self, **changes)

    def to_json(self) -> str:
        data = asdict(self)
        data["root"] = str(self.root)
        data["state_dir"] = str(self.state_dir)
        data["allowed_origins"] = list(self.allowed_origins)
        data["owner_token_hashes"] = list(self.owner_token_hashes)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["root"] = Path(data["root"])
        data["state_dir"] = Path(data["state_dir"])
        data["allowed_origins"] = tuple(data.get("allowed_origins", ()))
        data["owner_token_hashes"] = tuple(data.get("owner_token_hashes", ()))
        return cls(**data)
