"""The served folder's state directory (`.pairbook/`, or `--state-dir`): every path pairbook
keeps there.

It holds the log (`pairbook.sqlite` and SQLite's side files), the token file, the address
the server listens on and its own `.gitignore`; it is private to the user (0700, its files
0600) and hidden from kernels. `StateDir.of(root)` names it; nothing else builds these paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

NAME = ".pairbook"
GITIGNORE_TEXT = "# pairbook's tokens and log: never commit them\n*\n"


@dataclass(frozen=True)
class StateDir:
    """The paths of one served folder's state directory (nothing is created until `create`)."""

    path: Path
    root: Path  # the served folder
    db: Path  # the default log, a SQLite file (`--store` may put it elsewhere)
    tokens: Path  # grants (hashed) and profiles, shared by the server and the CLI
    server_url: Path  # where `serve` notes its address (not secret): tokens print as links
    legacy_owner_token: Path  # an older pairbook's plain owner token, adopted and deleted
    gitignore: Path

    @classmethod
    def at(cls, path: Path, root: Path | None = None) -> StateDir:
        """The state directory at `path` (Settings.state_dir) of the folder `root` serves
        (by default the folder `path` is in)."""
        names = ("pairbook.sqlite", "tokens.json", "server-url", "owner-token", ".gitignore")
        return cls(path, path.parent if root is None else root, *(path / n for n in names))

    @classmethod
    def of(cls, root: Path, state_dir: Path | None = None) -> StateDir:
        """The state directory of the folder `root` serves: `root/.pairbook`, or `state_dir`
        (`--state-dir`: outside the notebooks, where nothing that reaches them reaches it)."""
        return cls.at(root / NAME if state_dir is None else state_dir, root)

    @classmethod
    def find(cls, start: Path) -> StateDir | None:
        """The state directory of the nearest folder above `start` that pairbook serves."""
        for folder in start.parents:
            if (folder / NAME).is_dir():
                return cls.of(folder)
        return None

    def problem(self) -> str | None:
        """Why this cannot be the served folder's state directory, or None: it may not be
        the served folder nor a folder above it (kernels run in the notebooks' folders, and
        the state folder is hidden from them)."""
        root, path = self.root.resolve(), self.path.resolve()
        if root == path or root.is_relative_to(path):
            return f"the state folder {path} holds the served folder {root}; pick one apart"
        return None

    def exists(self) -> bool:
        return self.path.is_dir()

    def create(self) -> None:
        """Create it (private) with its own `.gitignore`: tokens and the log must never be
        committed with the notebooks. Raises OSError when the folder is not writable."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.gitignore.exists():
            self.gitignore.write_text(GITIGNORE_TEXT)

    def keep_private(self) -> None:
        """The directory 0700 and everything in it 0600 (older versions left 0755 and 0644:
        another local user could read the tokens, or deleted text from the log's WAL)."""
        self.path.chmod(0o700)
        for path in self.path.rglob("*"):
            if path.is_symlink():
                continue
            path.chmod(0o700 if path.is_dir() else 0o600)
