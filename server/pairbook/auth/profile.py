"""What a person may call themselves: display names and emails, checked once at the door.

Both end up in places that parse them: awareness, the mob panel and git's commit trailers
(`Co-authored-by: Name <email>`). A newline in either would forge a trailer line, and an
angle bracket in a name would forge an address, so neither is let in.
"""

from __future__ import annotations

import re

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


def name_key(name: str) -> str:
    """What makes two names the same name: case and spacing do not count."""
    return clean_name(name).casefold()


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
