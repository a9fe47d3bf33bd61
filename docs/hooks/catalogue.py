"""mkdocs hook: the command catalogue, rendered from spec/protocol.json at a page's marker.

spec/protocol.json is written from the server's command table
(`python -m pairbook.rooms.services --write`) and compared with the code by a Python test and
a client test. This hook puts it into the docs: where a page says `<!-- catalogue -->`
(docs/protocol.md does), it writes one table of commands per service (minimum role,
who may send it in mob mode, recorded on the timeline, arguments), the message types and the
close codes. A missing or unreadable spec fails the build with a message saying how to make
it, and so does a protocol.md without the marker.

The rendering is plain functions (`load_spec`, `render`) so tests/unit/docs/test_catalogue.py
checks it without mkdocs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MARKER = "<!-- catalogue -->"
SPEC = Path("spec") / "protocol.json"
PAGE = "protocol.md"
WRITE = "python -m pairbook.rooms.services --write"


class CatalogueError(Exception):
    """The spec is missing or not the shape the catalogue renders."""


def load_spec(path: Path) -> dict[str, Any]:
    """The spec as JSON, or a CatalogueError that says what to do."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(
            f"the command catalogue in docs/{PAGE} is rendered from {SPEC}, which is "
            f"missing ({path}): write it with `{WRITE}`"
        ) from None
    try:
        spec = json.loads(text)
    except ValueError as error:
        raise CatalogueError(
            f"{path} is not valid JSON ({error}): rewrite it with `{WRITE}`"
        ) from None
    if not isinstance(spec, dict) or not isinstance(spec.get("commands"), list | dict):
        raise CatalogueError(f"{path} has no `commands`: rewrite it with `{WRITE}`")
    return spec


def render(spec: Mapping[str, Any]) -> str:
    """The catalogue as Markdown: commands by service, message types, close codes."""
    parts = [_commands(spec["commands"])]
    for key, title, value in SECTIONS:
        section = _first(spec, key, key.replace("_", ""), key.replace("_", "-"))
        if section:
            parts.append(f"### {title}\n\n{_table(_rows(section, value))}")
    document = spec.get("document")
    if isinstance(document, dict):
        parts.append(_document(document))
    return "\n\n".join(parts) + "\n"


def _document(document: Mapping[str, Any]) -> str:
    """The document's top-level maps (constant → name) and whose edits are the server's."""
    lines = ["### Document maps"]
    maps = document.get("maps")
    if isinstance(maps, dict):
        rows = [{"constant": name, "map": value} for name, value in maps.items()]
        lines += ["", _table(rows)]
    prefix = document.get("server_author_prefix")
    if prefix:
        lines += [
            "",
            f"An author id under `{prefix}` is the server itself (its edits, the file's).",
        ]
    return "\n".join(lines)


SECTIONS = (
    ("message_types", "Message types", "type"),
    ("sync_types", "Sync message types", "sub-type"),
    ("close_codes", "Close code names", "code"),
)
"""The spec's other sections: its key, the heading, the name of a plain value's column."""


def _first(spec: Mapping[str, Any], *keys: str) -> Any:
    return next((spec[k] for k in keys if k in spec), None)


def _commands(commands: list[Any] | dict[str, Any]) -> str:
    """One table per service, in the spec's order (a dict is already grouped by service)."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    if isinstance(commands, dict):
        for service, rows in commands.items():
            groups[service] = [{**row, "service": service} for row in rows]
    else:
        for row in commands:
            groups.setdefault(str(row.get("service") or "room"), []).append(row)
    tables = []
    for service, rows in groups.items():
        lines = [
            f"### Commands: {service}",
            "",
            "| command | minimum role | in mob mode | recorded | arguments |",
            "|---|---|---|---|---|",
        ]
        for row in rows:
            lines.append(
                f"| `{row['name']}` | {row.get('role', 'viewer')} "
                f"| {_mob(row)} | {_yes(row.get('recorded'))} "
                f"| {_args(row.get('args') or [])} |"
            )
        tables.append("\n".join(lines))
    return "\n\n".join(tables)


def _mob(row: Mapping[str, Any]) -> str:
    """Who may send it in mob mode: the driver only, the driver, owner and the run's person
    (kernel control), or anyone with the role."""
    if row.get("driver_only"):
        return "driver only"
    if row.get("control"):
        return "driver, owner, the run's person"
    return "—"


def _yes(value: Any) -> str:
    return "yes" if value else "—"


def _args(args: Iterable[Any]) -> str:
    """`cells`: string[], `cell`?: string — a `?` marks an optional argument."""
    shown = []
    for arg in args:
        if isinstance(arg, str):
            shown.append(f"`{arg}`")
            continue
        optional = "" if arg.get("required", True) else "?"
        kind = f": {arg['type']}" if arg.get("type") else ""
        shown.append(f"`{arg['name']}`{optional}{kind}")
    return ", ".join(shown) or "—"


def _rows(section: Any, value_name: str = "value") -> list[dict[str, Any]]:
    """A section as table rows: {name: value}, {name: {…}} or a list of objects."""
    if isinstance(section, dict):
        return [
            {"name": name, **value}
            if isinstance(value, dict)
            else {"name": name, value_name: value}
            for name, value in section.items()
        ]
    if isinstance(section, list):
        return [row if isinstance(row, dict) else {value_name: row} for row in section]
    raise CatalogueError(f"cannot render {type(section).__name__} as a table")


def _table(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(column)) for column in columns) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and value.isidentifier():
        return f"`{value}`"
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("|", "\\|").replace("\n", " ")


# -- the mkdocs hook -------------------------------------------------------------------


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    from mkdocs.exceptions import PluginError

    is_protocol = page.file.src_uri == PAGE
    if MARKER not in markdown:
        if is_protocol:
            raise PluginError(f"docs/{PAGE} lost its `{MARKER}` marker: the catalogue goes there")
        return markdown
    root = Path(config["config_file_path"]).parent
    try:
        catalogue = render(load_spec(root / SPEC))
    except CatalogueError as error:
        raise PluginError(str(error)) from None
    return markdown.replace(MARKER, catalogue, 1)
