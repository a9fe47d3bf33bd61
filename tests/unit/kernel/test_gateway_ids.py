"""--kernel-gateway's pieces that need no gateway: the rooms' kernel ids kept in the state
folder, the gateway URL refused when it is not one, and the flag reaching the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from pairbook.cli import build_parser, main
from pairbook.cli.serveflags import settings_from
from pairbook.kernel.gateway import Gateway
from pairbook.kernel.gatewaysession import KernelIds
from pairbook.settings import Settings
from pairbook.statedir import StateDir


def test_a_rooms_kernel_id_is_kept_found_again_and_forgotten(tmp_path: Path) -> None:
    ids = KernelIds(tmp_path / "gateway-kernels")
    assert ids.get("a.ipynb") is None
    ids.put("a.ipynb", "kernel-a")
    ids.put("sub/b.ipynb", "kernel-b")
    again = KernelIds(tmp_path / "gateway-kernels")  # another process, the same folder
    assert (again.get("a.ipynb"), again.get("sub/b.ipynb")) == ("kernel-a", "kernel-b")
    again.forget("a.ipynb", "another-kernel")  # not its kernel: kept
    assert ids.get("a.ipynb") == "kernel-a"
    again.forget("a.ipynb", "kernel-a")
    assert ids.get("a.ipynb") is None
    assert ids.get("sub/b.ipynb") == "kernel-b"
    assert not list((tmp_path / "gateway-kernels").glob("*.tmp"))


def test_a_damaged_or_foreign_id_file_is_no_kernel(tmp_path: Path) -> None:
    ids = KernelIds(tmp_path)
    ids.put("a.ipynb", "kernel-a")
    (path,) = tmp_path.glob("*.json")
    path.write_text('{"room": "b.ipynb", "kernel_id": "kernel-b"}')  # not this room's
    assert ids.get("a.ipynb") is None
    path.write_text("{not json")
    assert ids.get("a.ipynb") is None


@pytest.mark.parametrize("url", ["ftp://host:8889", "host:8889", "http://", ""])
def test_a_gateway_url_must_be_http(url: str) -> None:
    with pytest.raises(ValueError, match="is not a kernel gateway URL"):
        Gateway(url)
    assert Gateway("https://kernels.example:8889/").ws_url == "wss://kernels.example:8889"


def test_serve_refuses_a_bad_gateway_url_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", str(tmp_path), "--port", "0", "--kernel-gateway", "kernels:8889",
                 "--kernel-sandbox", "none"])  # fmt: skip
    assert code != 0
    assert "--kernel-gateway" in capsys.readouterr().err


def test_the_gateway_flags_reach_the_worker(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["serve", str(tmp_path), "--kernel-gateway", "http://127.0.0.1:8889",
         "--kernel-gateway-token", "secret"]
    )  # fmt: skip
    settings = settings_from(args, StateDir.of(tmp_path), 1, "none", (None, None), ())
    again = Settings.from_json(settings.to_json())
    assert (again.kernel_gateway, again.kernel_gateway_token) == ("http://127.0.0.1:8889", "secret")
