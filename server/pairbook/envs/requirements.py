"""Where a notebook's requirements are declared, first found wins:

1. `metadata.pairbook.environment.requirements` in the notebook (a list of pip requirement
   lines): the notebook's own declaration, kept in the file and shared by everyone;
2. a PEP 723 `# /// script` block in the notebook's first code cell, or in the `.py` of the
   same name beside it (a jupytext twin);
3. `<stem>-requirements.txt` beside it (what `pairbook requirements NB -o` writes), then
   `requirements.txt` in its folder;
4. `[project].dependencies` of a `pyproject.toml` in its folder.

None of these: the notebook declares nothing (an environment with only ipykernel).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pairbook.errors import EnvError

# PEP 723's reference regular expression.
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
_MAX_LINE = 500
_MAX_LINES = 500


@dataclass(frozen=True, slots=True)
class Requirements:
    """Pip requirement lines and where they were declared (`source`: "" when nowhere)."""

    lines: tuple[str, ...]
    source: str = ""
    requires_python: str | None = None

    @property
    def declared(self) -> bool:
        return bool(self.source)


def find_requirements(path: Path, nb: dict[str, Any]) -> Requirements:
    """The requirements `nb` (read from `path`) declares, by the order above."""
    for found in (
        _from_metadata(nb),
        _from_cell(nb),
        _from_twin(path),
        _from_requirements_files(path),
        _from_pyproject(path),
    ):
        if found is not None:
            return found
    return Requirements(())


def read_requirements_file(path: Path) -> Requirements:
    """A pip requirements file's lines (comments and blanks dropped)."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvError(f"cannot read {path}: {exc}; fix or remove it") from exc
    return Requirements(_checked(_requirement_lines(text), str(path)), str(path))


def _from_metadata(nb: dict[str, Any]) -> Requirements | None:
    env = (nb.get("metadata") or {}).get("pairbook", {}).get("environment")
    if env is None:
        return None
    where = "metadata.pairbook.environment"
    if not isinstance(env, dict) or not isinstance(env.get("requirements", []), list):
        raise EnvError(f"{where} must be an object with a list of strings `requirements`")
    lines = env.get("requirements", [])
    if not all(isinstance(line, str) for line in lines):
        raise EnvError(f"{where}.requirements must be a list of strings like 'numpy==2.1.3'")
    python = env.get("requires-python")
    if python is not None and not isinstance(python, str):
        raise EnvError(f"{where}.requires-python must be a string like '>=3.11'")
    return Requirements(_checked([line.strip() for line in lines], where), where, python)


def _from_cell(nb: dict[str, Any]) -> Requirements | None:
    for cell in nb.get("cells") or []:
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            return _from_script(text, "the PEP 723 block of the first code cell")
    return None


def _from_twin(path: Path) -> Requirements | None:
    twin = path.with_suffix(".py")
    if not twin.is_file():
        return None
    try:
        text = twin.read_text()
    except (OSError, UnicodeDecodeError):
        return None
    return _from_script(text, f"the PEP 723 block of {twin.name}")


def _from_script(text: str, where: str) -> Requirements | None:
    blocks = [m for m in _BLOCK.finditer(text) if m.group("type") == "script"]
    if not blocks:
        return None
    if len(blocks) > 1:
        raise EnvError(f"{where}: more than one `# /// script` block; keep one")
    content = "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in blocks[0].group("content").splitlines(keepends=True)
    )
    try:
        table = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise EnvError(f"{where} is not valid TOML ({exc}); see PEP 723") from exc
    deps = table.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise EnvError(f"{where}: `dependencies` must be a list of strings")
    python = table.get("requires-python")
    return Requirements(_checked(deps, where), where, python if isinstance(python, str) else None)


def _from_requirements_files(path: Path) -> Requirements | None:
    for candidate in (
        path.with_name(f"{path.stem}-requirements.txt"),
        path.with_name("requirements.txt"),
    ):
        if candidate.is_file():
            return read_requirements_file(candidate)
    return None


def _from_pyproject(path: Path) -> Requirements | None:
    pyproject = path.with_name("pyproject.toml")
    if not pyproject.is_file():
        return None
    try:
        table = tomllib.loads(pyproject.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise EnvError(f"cannot read {pyproject}: {exc}") from exc
    project = table.get("project")
    if not isinstance(project, dict) or "dependencies" not in project:
        return None
    deps = project["dependencies"]
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise EnvError(f"{pyproject}: [project].dependencies must be a list of strings")
    python = project.get("requires-python")
    return Requirements(
        _checked(deps, str(pyproject)), str(pyproject), python if isinstance(python, str) else None
    )


def _requirement_lines(text: str) -> list[str]:
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def _checked(lines: list[str], where: str) -> tuple[str, ...]:
    """Requirement lines that cannot smuggle options to uv: no `-e`, `--index-url`, `-r`
    (a notebook someone sent you must not point the installer elsewhere)."""
    if len(lines) > _MAX_LINES:
        raise EnvError(f"{where}: {len(lines)} requirements; at most {_MAX_LINES}")
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line.startswith("-") or "\n" in line or "\0" in line or len(line) > _MAX_LINE:
            raise EnvError(
                f"{where}: {line[:80]!r} is not a plain requirement; options such as -e, "
                "-r or --index-url are not accepted here (pass --find-links to check instead)"
            )
        out.append(line)
    return tuple(out)


def names_elsewhere(line: str) -> bool:
    """Whether a requirement names a URL or a path rather than a package by name and version
    (PEP 508's `name @ url`, a bare or `git+` URL, a local wheel or folder): a name, its
    extras and version specifiers never hold `@`, `/`, `\\` or `:` (a marker after `;` may)."""
    head = line.split(";", 1)[0]
    return any(sign in head for sign in ("@", "/", "\\", ":"))
