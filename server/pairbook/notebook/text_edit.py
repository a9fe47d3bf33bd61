"""Changing a shared Text into a new string with a small edit rather than a replace.

A replace would delete every character a peer has (and move their cursor); a diff keeps the
unchanged characters' Yjs items, so a one-line change travels as a one-line update.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from pycrdt import Text


def set_ytext(ytext: Text, value: str) -> None:
    """Edit `ytext` so that it reads `value`, inside the caller's transaction if any."""
    old = str(ytext)
    if old == value:
        return
    edits = text_edits(old, value)
    # pycrdt indexes a Text by UTF-8 byte; apply from the end so earlier offsets stay valid.
    with ytext.doc.transaction():
        for start, stop, insert in reversed(edits):
            byte_start = len(old[:start].encode("utf-8"))
            if stop > start:
                byte_stop = byte_start + len(old[start:stop].encode("utf-8"))
                del ytext[byte_start:byte_stop]
            if insert:
                ytext.insert(byte_start, insert)


def text_edits(old: str, new: str) -> list[tuple[int, int, str]]:
    """Replacements (start, stop, text) in `old`'s code points, in order, that make `new`.

    Lines are matched first (fast on long texts), then each changed block of lines is trimmed
    to the characters that really changed.
    """
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old[prefix:], new[prefix:])
    old_mid = old[prefix : len(old) - suffix]
    new_mid = new[prefix : len(new) - suffix]
    old_lines = old_mid.splitlines(keepends=True)
    new_lines = new_mid.splitlines(keepends=True)
    old_starts = _line_starts(old_lines, prefix)
    new_starts = _line_starts(new_lines, prefix)
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    edits: list[tuple[int, int, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        a = old[old_starts[i1] : old_starts[i2]]
        b = new[new_starts[j1] : new_starts[j2]]
        head = _common_prefix(a, b)
        tail = _common_suffix(a[head:], b[head:])
        start = old_starts[i1] + head
        edits.append((start, old_starts[i2] - tail, b[head : len(b) - tail]))
    return edits


def _line_starts(lines: list[str], offset: int) -> list[int]:
    starts = [offset]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def _common_prefix(a: str, b: str) -> int:
    # Binary search over slice comparisons: done in C, fast on long outputs.
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _common_suffix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            low = mid
        else:
            high = mid - 1
    return low
