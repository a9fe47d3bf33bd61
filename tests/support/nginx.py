"""Debian's nginx in front of local pairbook processes, with deploy/'s own proxy config.

deploy/nginx/pairbook.conf is used as it is, except its `listen` line, which gets a free
local port; the `pairbook` upstream lists the local processes instead of compose's services.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Self

from support.process import HelperProcess, listens
from support.server import REPO, free_port

NGINX = Path("/usr/sbin/nginx")
PROXY_CONF = REPO / "deploy" / "nginx" / "pairbook.conf"
LISTEN = "listen 8080;"


def render(folder: Path, upstreams: list[int], port: int) -> Path:
    """An nginx.conf in `folder` proxying `port` to local pairbook ports with deploy/'s
    config; the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    proxy = PROXY_CONF.read_text()
    if proxy.count(LISTEN) != 1:
        raise AssertionError(f"{PROXY_CONF} should listen once, as `{LISTEN}`")
    (folder / "pairbook.conf").write_text(proxy.replace(LISTEN, f"listen 127.0.0.1:{port};"))
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in upstreams)
    (folder / "upstream.conf").write_text(f"upstream pairbook {{\n{servers}}}\n")
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(
        "daemon off;\nworker_processes 1;\nworker_shutdown_timeout 2s;\n"
        f"pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} info;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        f"    access_log {folder / 'access.log'};\n"
        f"    client_body_temp_path {temp['body']};\n    proxy_temp_path {temp['proxy']};\n"
        f"    fastcgi_temp_path {temp['fastcgi']};\n    uwsgi_temp_path {temp['uwsgi']};\n"
        f"    scgi_temp_path {temp['scgi']};\n"
        f"    include {folder / 'upstream.conf'};\n    include {folder / 'pairbook.conf'};\n"
        "}\n"
    )
    return conf


def check_config(conf: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` of a rendered config."""
    return subprocess.run(
        [str(NGINX), "-t", "-c", str(conf), "-p", str(conf.parent), "-e", "stderr"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


class NginxProxy(HelperProcess):
    """A real nginx, in the foreground of its own process group, stopped at exit."""

    name = "nginx"
    stop_signal = signal.SIGQUIT  # graceful: workers finish, then exit
    stop_seconds = 10.0

    def __init__(self, folder: Path, upstreams: list[int]) -> None:
        self.port = free_port()
        self.conf = render(folder, upstreams, self.port)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        checked = check_config(self.conf)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refuses the config:\n{checked.stderr}")
        command = [str(NGINX), "-c", str(self.conf), "-p", str(self.conf.parent), "-e", "stderr"]
        self.launch(command, self.conf.parent / "nginx.out", 20.0)
        return self

    def ready(self) -> bool:
        return listens(self.port)
