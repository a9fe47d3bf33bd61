"""Compare a cell's saved outputs with a fresh run's: exact for text, after masking what is
volatile (memory addresses, timings), with a relative tolerance for numbers, and images by
kind unless asked for exactly the same bytes."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_VOLATILE = (
    # Memory addresses in reprs: <object at 0x7f3a…>.
    (re.compile(r"\b0x[0-9a-fA-F]{6,16}\b"), "0x…"),
    # %time / %%time and %timeit.
    (re.compile(r"(?m)^(CPU times|Wall time):.*$"), r"\1: …"),
    (re.compile(r"(?m)^.*± .* per loop \(mean ± std\. dev\. of .*$"), "… per loop"),
)
_IMAGE = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml", "application/pdf")
# What a display carries besides the data (and never compared).
_IGNORED_MIME = ("application/vnd.jupyter.widget-view+json", "text/vnd.pairbook.json")


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How close two outputs must be: numbers within `rtol`/`atol`, images the same bytes only
    if `exact_images`, plus patterns (regular expressions) whose matches are ignored."""

    rtol: float = 1e-9
    atol: float = 0.0
    exact_images: bool = False
    ignore: tuple[str, ...] = ()
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        """ValueError for a pattern that is not a regular expression."""
        try:
            patterns = tuple(re.compile(p) for p in self.ignore)
        except re.error as exc:
            raise ValueError(f"{exc.pattern!r} is not a regular expression: {exc}") from exc
        object.__setattr__(self, "_patterns", patterns)

    def mask(self, text: str) -> str:
        for pattern, replacement in _VOLATILE:
            text = pattern.sub(replacement, text)
        for pattern in self._patterns:
            text = pattern.sub("…", text)
        return text


def text_of(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def normal_outputs(outputs: Iterable[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(kind, MIME type or stream, content) items: consecutive stream texts of one stream are
    joined (how the text was split into messages is timing), errors by name and value."""
    items: list[tuple[str, str, str]] = []
    for output in outputs:
        kind = output.get("output_type", "")
        if kind == "stream":
            name, text = output.get("name", "stdout"), text_of(output.get("text", ""))
            if items and items[-1][:2] == ("stream", name):
                items[-1] = ("stream", name, items[-1][2] + text)
            else:
                items.append(("stream", name, text))
        elif kind == "error":
            items.append(("error", output.get("ename", ""), text_of(output.get("evalue", ""))))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data") or {}
            for mime in sorted(data):
                if mime not in _IGNORED_MIME:
                    items.append(("data", mime, _content(data[mime])))
    return items


def _content(value: Any) -> str:
    if isinstance(value, (dict, list)) and not (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        return json.dumps(value, sort_keys=True)
    return text_of(value)


def difference(
    saved: Iterable[dict[str, Any]], fresh: Iterable[dict[str, Any]], tolerance: Tolerance
) -> str | None:
    """None when the fresh outputs match the saved ones, else a short account of the first
    difference (what was saved, what came out)."""
    old, new = normal_outputs(saved), normal_outputs(fresh)
    for index in range(max(len(old), len(new))):
        if index >= len(old):
            return f"an output the saved notebook does not have: {_show(new[index])}"
        if index >= len(new):
            return f"the saved output {_show(old[index])} did not come out"
        if old[index][:2] != new[index][:2]:
            return f"saved {_show(old[index])}, got {_show(new[index])}"
        if not _same(old[index], new[index], tolerance):
            return f"{old[index][1]} differs: {_first_change(old[index][2], new[index][2])}"
    return None


def _same(old: tuple[str, str, str], new: tuple[str, str, str], tolerance: Tolerance) -> bool:
    kind, mime, _ = old
    if mime in _IMAGE and not tolerance.exact_images:
        return True  # an image of the same kind: renderers differ from version to version
    if kind == "error":
        return True  # same exception type; its message may carry volatile detail
    return same_text(old[2], new[2], tolerance)


def same_text(old: str, new: str, tolerance: Tolerance) -> bool:
    """Texts equal after masking, numbers compared with the tolerance."""
    old, new = tolerance.mask(old), tolerance.mask(new)
    if old == new:
        return True
    old_parts, new_parts = _NUMBER.split(old), _NUMBER.split(new)
    if old_parts != new_parts:
        return False
    for a, b in zip(_NUMBER.findall(old), _NUMBER.findall(new), strict=True):
        if a != b and not math.isclose(
            float(a), float(b), rel_tol=tolerance.rtol, abs_tol=tolerance.atol
        ):
            return False
    return True


def _show(item: tuple[str, str, str]) -> str:
    kind, name, content = item
    if kind == "error":
        return f"{name}: {_clip(content)}"
    return f"{name} {_clip(content)!r}"


def _first_change(old: str, new: str) -> str:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for a, b in zip(old_lines, new_lines, strict=False):
        if a != b:
            return f"saved {_clip(a)!r}, got {_clip(b)!r}"
    return f"saved {len(old_lines)} lines, got {len(new_lines)}"


def _clip(text: str, size: int = 120) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
