"""What a person may call themselves: display names and emails, checked once at the door.

Both end up in places that parse them: awareness, the mob panel and git's commit trailers
(`Co-authored-by: Name <email>`). A newline in either would forge a trailer line, and an
angle bracket in a name would forge an address, so neither is let in.
"""

from __future__ import annotations

import re
import unicodedata

from pairbook.errors import ProfileError

MAX_NAME = 64
MAX_EMAIL = 254  # RFC 5321's limit on a forward path

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
"""A plain addr-spec (dot-atom local part, dotted host name): no quoting, no comments, no
display name, no spaces or control characters."""


def clean_name(name: str) -> str:
    """A display name safe to show: control characters removed, whitespace collapsed,
    trimmed, bounded. May be empty."""
    printable = "".join(ch if ch.isprintable() else " " for ch in name)
    return " ".join(printable.split())[:MAX_NAME]


def check_name(name: str) -> str:
    """The cleaned display name; ProfileError saying what to pick when it is not usable."""
    display = clean_name(name)
    if not display:
        raise ProfileError("pick a display name (1 to 64 printable characters)")
    if "<" in display or ">" in display:
        raise ProfileError("a display name cannot contain < or >; pick another")
    return display


# Cyrillic and Greek letters drawn like Latin ones (after casefolding): "Аlice" with a
# Cyrillic А would pass for "Alice" in everyone's presence list.
_LOOKALIKES = str.maketrans(
    {
        "а": "a", "ᴀ": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "һ": "h", "і": "i",
        "ј": "j", "к": "k", "ӏ": "l", "м": "m", "ո": "n", "о": "o", "р": "p", "ԛ": "q",
        "ѕ": "s", "т": "t", "ս": "u", "ԝ": "w", "х": "x", "у": "y", "ᴢ": "z", "α": "a",
        "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x",
    }
)  # fmt: skip


def name_key(name: str) -> str:
    """What makes two names the same name: case, spacing, width (NFKC), invisible
    characters and Cyrillic or Greek look-alikes of Latin letters do not count."""
    visible = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    folded = unicodedata.normalize("NFKC", clean_name(visible)).casefold()
    return " ".join(folded.split()).translate(_LOOKALIKES)


def check_email(email: str) -> str:
    """The email trimmed ('' for none); ProfileError unless it is a plain address."""
    address = email.strip()
    if not address:
        return ""
    if len(address) > MAX_EMAIL or EMAIL.fullmatch(address) is None:
        raise ProfileError(
            "the email must be a plain address such as ada@example.org (no name, spaces "
            f"or line breaks, at most {MAX_EMAIL} characters); leave it empty if unsure"
        )
    return address


def is_email(text: str) -> bool:
    """Whether `text` is a plain address as `check_email` accepts it (and not empty)."""
    return len(text) <= MAX_EMAIL and EMAIL.fullmatch(text) is not None
