"""The kernel's imported packages as a pip requirements file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def requirements_text(
    packages: Iterable[dict[str, Any]], notebook: str, *, last_known: bool = False
) -> str:
    """`name==version` lines (sorted, case-insensitively) for what the kernel imported; a
    package whose version is unknown is listed bare, with a comment saying so. `last_known`:
    the kernel is not running, these are what the last one had imported."""
    lines = [f"# Packages the kernel of {notebook} had imported (from pairbook)."]
    if last_known:
        lines.append("# The kernel is not running: these are the last known packages.")
    for package in sorted(packages, key=lambda p: str(p.get("name", "")).lower()):
        name = str(package.get("name", "")).strip()
        if not name:
            continue
        version = package.get("version")
        modules = ", ".join(package.get("modules") or [])
        if version:
            lines.append(f"{name}=={version}")
        else:
            lines.append(f"{name}  # version unknown (imported as {modules})")
    return "\n".join(lines) + "\n"
