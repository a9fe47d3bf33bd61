"""How a kernel's command is wrapped: sandbox, limits, cgroup; and what it inherits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pairbook.kernel.confine import Confinement, choose_sandbox

ARGV = ["python", "-m", "ipykernel_launcher", "-f", "/run/k.json"]


def test_without_a_sandbox_or_limits_the_kernel_command_is_unchanged(tmp_path: Path) -> None:
    jail = Confinement(cgroups=None).jail()
    assert jail.command(ARGV, tmp_path) == ARGV


def test_the_sandbox_hides_the_state_folder_and_the_log_and_binds_what_the_kernel_writes(
    tmp_path: Path,
) -> None:
    state = tmp_path / ".pairbook"
    state.mkdir()
    log = tmp_path / "store.sqlite"
    log.write_bytes(b"")
    sockets = tmp_path / "sockets"
    confinement = Confinement(
        sandbox="bwrap", hidden=(state, log, tmp_path / "missing-wal"), cgroups=None
    )
    command = confinement.jail().command(ARGV, tmp_path / "nb", (sockets,))
    assert command[0] == "bwrap"
    assert command[-len(ARGV) :] == ARGV
    text = " ".join(command)
    assert f"--tmpfs {state}" in text
    assert f"--ro-bind /dev/null {log}" in text
    assert "missing-wal" not in text
    assert f"--bind {sockets} {sockets}" in text
    assert f"--bind {tmp_path / 'nb'} {tmp_path / 'nb'}" in text
    assert f"--chdir {tmp_path / 'nb'}" in text
    for flag in ("--unshare-pid", "--die-with-parent", "--new-session", "--tmpfs /tmp"):
        assert flag in text
    assert "--cap-drop ALL" in text
    # the hidden paths come after the binds: a folder bound later would show them again
    assert text.index("--tmpfs " + str(state)) > text.index("--bind " + str(tmp_path / "nb"))


def test_limits_wrap_the_sandbox_with_prlimit(tmp_path: Path) -> None:
    confinement = Confinement(sandbox="bwrap", memory=1 << 30, processes=64, cgroups=None)
    command = confinement.jail().command(ARGV, tmp_path)
    assert command[:4] == ["prlimit", f"--as={1 << 30}", "--nproc=64", "--"]
    assert command[4] == "bwrap"


def test_the_kernel_never_inherits_pairbooks_secrets() -> None:
    env = Confinement().environment(
        {"PATH": "/bin", "PAIRBOOK_SETTINGS": '{"owner_token": "t"}', "PAIRBOOK_TOKEN": "t"}
    )
    assert env == {"PATH": "/bin"}


def test_auto_falls_back_to_no_sandbox_with_a_warning_when_bwrap_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    sandbox, warning = choose_sandbox("auto")
    assert sandbox == "none"
    assert warning is not None
    assert "WITHOUT a sandbox" in warning
    with pytest.raises(ValueError, match="not installed"):
        choose_sandbox("bwrap")
    assert choose_sandbox("none") == ("none", None)


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_auto_picks_bwrap_where_it_works() -> None:
    assert choose_sandbox("auto") == ("bwrap", None)


def test_a_python_under_tmp_stays_visible_in_the_sandboxs_private_tmp(tmp_path: Path) -> None:
    """A checkout (and its venv) cloned under /tmp, as CI may do: the sandbox's own empty
    /tmp would hide the kernel's interpreter, and no kernel would start."""
    assert tmp_path.is_relative_to("/tmp")
    venv = tmp_path / "clone" / ".venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text("")
    confinement = Confinement(sandbox="bwrap", cgroups=None)
    command = confinement.jail().command([str(python), "-m", "ipykernel_launcher"], tmp_path)
    text = " ".join(command)
    assert f"--ro-bind {venv} {venv}" in text
    # put back after /tmp is emptied, and only what the kernel needs
    assert text.index(f"--ro-bind {venv}") > text.index("--tmpfs /tmp")
    assert f"--ro-bind {tmp_path} " not in text
