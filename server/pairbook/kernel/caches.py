"""A sandboxed kernel's own cache folders, and the seed of its jedi cache: the parsed stubs a
first completion needs.

The home folder is read-only in the sandbox, so IPython's profile, the caches and
matplotlib's config go to folders of the kernel's own. Jedi pickles each module it parses
into its cache; in a read-only one that failed with EROFS, which parso does not take for a
PermissionError, and completions came back empty. Matplotlib warned in every importing cell.

A sandboxed kernel gets a fresh cache folder of its own (its home is read-only), so its
first completion made jedi parse the stubs of builtins, os and os.path again: ~1.3 s of the
kernel's CPU on a quiet machine, tens of seconds under load, with every completion and help
waiting behind it. With the pickles already in the cache it takes ~0.3 s.

pairbook builds the seed once per machine and Python/jedi version, in a process of its own
Python (never the kernel's, which may run an environment a notebook installed), into
`$XDG_CACHE_HOME/pairbook/jedi-seed/KEY`, and copies it into each sandboxed kernel's cache
folder before the kernel starts. Copies, not links: a kernel writes its cache files in place,
and a link would let one kernel rewrite the pickles every later kernel loads."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

log = logging.getLogger("pairbook.kernel")

SEED_CODE = """
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("import os")
code = "import os\\nos.path.jo"
with provisionalcompleter():
    list(shell.Completer.completions(code, len(code)))
"""
"""What the seed holds: what the kernel's completion warm-up asks (introspection.WARM_UP_CODE)."""

_building = threading.Lock()
_unbuildable: set[Path] = set()
"""Seeds whose build failed in this process: not tried again at every kernel start."""


def private_caches(folder: Path) -> dict[str, str]:
    """The environment variables that send a sandboxed kernel's caches into `folder`, its
    jedi cache seeded."""
    env = {
        "IPYTHONDIR": str(folder / "ipython"),
        "XDG_CACHE_HOME": str(folder / "cache"),
        "MPLCONFIGDIR": str(folder / "matplotlib"),
    }
    place_seed(folder / "cache")
    return env


def seed_key() -> str:
    """The seed's folder name: a cache made by another Python or jedi is not this one's."""
    try:
        versions = f"jedi{metadata.version('jedi')}-parso{metadata.version('parso')}"
    except metadata.PackageNotFoundError:
        versions = "nojedi"
    return f"{sys.implementation.name}{sys.version_info[0]}{sys.version_info[1]}-{versions}"


def seed_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "pairbook" / "jedi-seed" / seed_key()


def place_seed(
    cache_home: Path, seed: Path | None = None, build: Callable[[Path], object] | None = None
) -> bool:
    """Copy the seed into a kernel's cache folder (`XDG_CACHE_HOME`), if it is built;
    start building it in the background (`build`) if not. False: no seed to copy (yet)."""
    seed = seed or seed_home()
    if not (seed / "jedi").is_dir():
        if seed in _unbuildable:
            return False
        threading.Thread(target=build or build_seed, args=(seed,), daemon=True).start()
        return False
    try:
        shutil.copytree(seed / "jedi", cache_home / "jedi", dirs_exist_ok=True)
    except OSError as exc:
        log.info("jedi seed not copied", extra={"error": str(exc)})
        return False
    return True


def build_seed(seed: Path) -> bool:
    """Build the seed in a folder of its own, then move it into place whole (a process that
    finds the folder finds it complete). One build at a time in this process."""
    if not _building.acquire(blocking=False):
        return False
    try:
        if (seed / "jedi").is_dir():
            return True
        seed.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".building-", dir=seed.parent))
        env = {**os.environ, "XDG_CACHE_HOME": str(work), "IPYTHONDIR": str(work / "ipython")}
        done = subprocess.run(
            [sys.executable, "-c", SEED_CODE], env=env, capture_output=True, timeout=300
        )
        if done.returncode != 0 or not (work / "jedi").is_dir():
            log.info("jedi seed not built", extra={"error": done.stderr.decode()[-500:]})
            shutil.rmtree(work, ignore_errors=True)
            _unbuildable.add(seed)
            return False
        shutil.rmtree(work / "ipython", ignore_errors=True)
        try:
            work.rename(seed)
        except OSError:  # another process put its seed there first
            shutil.rmtree(work, ignore_errors=True)
        return (seed / "jedi").is_dir()
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("jedi seed not built", extra={"error": str(exc)})
        _unbuildable.add(seed)
        return False
    finally:
        _building.release()
