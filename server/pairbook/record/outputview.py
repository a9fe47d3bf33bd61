"""What a reviewer sees of a cell's outputs: text, error, or a raster image, never markup.

The review page shows notebooks anyone may have written, so an output is reduced here to
plain text (shown as text), an error's name, value and traceback without terminal colours,
and PNG/JPEG images as validated base64 (shown as an image's data URL). HTML, SVG,
JavaScript and widget outputs are named by their MIME type, not rendered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

MAX_TEXT = 4000
"""Characters of one output's text kept for the review; the rest is counted, not sent."""

MAX_IMAGE = 1_500_000
"""Base64 characters of one image kept (about 1.1 MB); a larger image is named only."""

IMAGE_TYPES = ("image/png", "image/jpeg")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class OutputView(TypedDict):
    """One output as the review shows it."""

    type: str  # stream, execute_result, display_data, error (nbformat's output_type)
    text: str  # plain text (may be empty when the output is only an image)
    truncated: int  # characters of text left out
    mime: NotRequired[str]  # the richest MIME type the output had, when not text/plain
    image: NotRequired[str]  # base64 of a PNG or JPEG (mime says which)


def output_view(output: Mapping[str, Any]) -> OutputView:
    """The review's view of one nbformat output."""
    kind = str(output.get("output_type", ""))
    if kind == "stream":
        return _text_view(kind, _joined(output.get("text")), str(output.get("name", "")))
    if kind == "error":
        lines = output.get("traceback")
        trace = "\n".join(str(line) for line in lines) if isinstance(lines, list) else ""
        head = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        return _text_view(kind, _ANSI.sub("", trace) or head)
    data = output.get("data")
    bundle: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    view = _text_view(kind, _joined(bundle.get("text/plain")))
    for mime in IMAGE_TYPES:
        image = "".join(_joined(bundle.get(mime)).split())
        if image and len(image) <= MAX_IMAGE and _BASE64.fullmatch(image):
            view["mime"] = mime
            view["image"] = image
            return view
    richer = [m for m in bundle if m != "text/plain"]
    if richer:
        view["mime"] = str(richer[0])
    return view


def outputs_view(outputs: Any) -> list[OutputView]:
    """Every output of a cell (anything that is not an output is skipped)."""
    if not isinstance(outputs, list):
        return []
    return [output_view(o) for o in outputs if isinstance(o, Mapping)]


def outputs_key(outputs: Any) -> list[Any]:
    """What must differ for a cell's outputs to count as changed: the outputs without their
    execution counts (a re-run with the same result is not a change to review)."""
    if not isinstance(outputs, list):
        return []
    return [
        {k: v for k, v in o.items() if k != "execution_count"} if isinstance(o, Mapping) else o
        for o in outputs
    ]


def _text_view(kind: str, text: str, name: str = "") -> OutputView:
    kept = text[:MAX_TEXT]
    view: OutputView = {"type": kind, "text": kept, "truncated": len(text) - len(kept)}
    if name == "stderr":
        view["mime"] = "stderr"
    return view


def _joined(value: Any) -> str:
    """nbformat text: a string or a list of strings (anything else is no text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return ""
