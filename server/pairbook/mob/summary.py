"""Summary: who took part in a session, how long each drove, which cells each changed and
ran, and the commit message that credits them with `Co-authored-by:` trailers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from pairbook.auth import User, is_email
from pairbook.schema import is_server_author

NO_EMAIL_DOMAIN = "users.pairbook.invalid"
"""Co-author address for a person whose profile has no email (`.invalid` is reserved)."""


@dataclass(frozen=True, slots=True)
class Contribution:
    """One person's part in a session."""

    person: User
    drove_seconds: float
    changed: tuple[str, ...]  # cell ids
    ran: tuple[str, ...]  # cell ids

    @property
    def contributed(self) -> bool:
        return self.drove_seconds > 0 or bool(self.changed) or bool(self.ran)

    @property
    def email(self) -> str:
        """The person's address if it is a plain one (profiles are checked at the door, but
        a log or token file from before may hold anything), else a reserved stand-in."""
        if is_email(self.person.email):
            return self.person.email
        local = re.sub(r"[^A-Za-z0-9._-]", "-", self.person.id)[:64].strip(".-") or "someone"
        return f"{local}@{NO_EMAIL_DOMAIN}"

    def to_json(self, *, email: bool = True) -> dict[str, Any]:
        return {
            **(self.person.to_json() if email else self.person.to_record()),
            "drove_seconds": round(self.drove_seconds, 3),
            "changed": list(self.changed),
            "ran": list(self.ran),
            "contributed": self.contributed,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """A session: since when, and everyone who was there."""

    since: float | None
    until: float
    people: tuple[Contribution, ...]

    @property
    def contributors(self) -> tuple[Contribution, ...]:
        return tuple(c for c in self.people if c.contributed)

    def trailers(self) -> list[str]:
        """`Co-authored-by: Name <email>` for everyone who contributed, once per person
        (someone who joined twice has two user ids but one name and email)."""
        lines = [
            f"Co-authored-by: {_trailer_name(c.person.name)} <{c.email}>" for c in self.contributors
        ]
        return list(dict.fromkeys(lines))

    def to_json(self, *, emails: bool = True) -> dict[str, Any]:
        """The summary; without `emails` (anyone but the owner) people have names only and
        there are no trailers."""
        return {
            "since": self.since,
            "until": self.until,
            "people": [c.to_json(email=emails) for c in self.people],
            "trailers": self.trailers() if emails else [],
        }


def cells_ran(executions: Mapping[str, Any], since: float | None) -> dict[str, set[str]]:
    """The cells each person ran (from pairbook's `executions` records) since a time."""
    ran: dict[str, set[str]] = {}
    for record in executions.values():
        if not isinstance(record, Mapping) or record.get("started_at") is None:
            continue  # queued and cancelled runs never ran
        queued = record.get("queued_at")
        if since is not None and isinstance(queued, int | float) and queued < since:
            continue
        user = record.get("user")
        cell = record.get("cell_id")
        if isinstance(user, Mapping) and isinstance(cell, str):
            ran.setdefault(str(user.get("id")), set()).add(cell)
    return ran


def summarize(
    people: Mapping[str, User],
    driven: Mapping[str, float],
    changed: Mapping[str, Iterable[str]],
    ran: Mapping[str, Iterable[str]],
    *,
    since: float | None,
    until: float,
    cell_order: list[str] | None = None,
) -> Summary:
    """Join who was there with what each did; people are ordered by time driven, then name."""
    order = {cell: i for i, cell in enumerate(cell_order or [])}

    def cells(ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(set(ids), key=lambda c: (order.get(c, len(order)), c)))

    everyone = set(people) | set(driven) | set(changed) | set(ran)
    contributions = [
        Contribution(
            people.get(uid) or User.of_id(uid),
            float(driven.get(uid, 0.0)),
            cells(changed.get(uid, ())),
            cells(ran.get(uid, ())),
        )
        for uid in everyone
        if not is_server_author(uid)
    ]
    contributions.sort(key=lambda c: (-c.drove_seconds, c.person.name.lower(), c.person.id))
    return Summary(since, until, tuple(contributions))


def review_link(
    notebook: str, since: str | float | None, until: float | None = None, *, base: str = ""
) -> str:
    """The review page of a notebook's change since a commit or time (and up to a time):
    absolute under `base` (the server's public URL), else a path on the server."""
    query: dict[str, str] = {}
    if since is not None:
        query["since"] = since if isinstance(since, str) else f"{since:.3f}"
    if until is not None:
        query["until"] = f"{until:.3f}"
    path = "/notebooks/" + quote(notebook) + "/review"
    return base.rstrip("/") + path + ("?" + urlencode(query) if query else "")


WITHOUT_TRAILERS = "Co-author trailers: in the owner's summary (emails are the owner's to see)."


def commit_message(
    summary: Summary, subject: str, review: str | None = None, *, trailers: bool = True
) -> str:
    """A git commit message: the subject, what each contributor did, the review page's link,
    then the trailers (or, without `trailers`, a line saying where they are)."""
    lines = [_one_line(subject) or "Update notebook", ""]
    span = _span(summary.since, summary.until)
    contributors = summary.contributors
    lines.append(f"pairbook session{span}: {len(contributors)} contributor(s).")
    for c in contributors:
        parts = []
        if c.drove_seconds > 0:
            parts.append(f"drove {_duration(c.drove_seconds)}")
        parts.append(f"changed {len(c.changed)} cell(s)")
        parts.append(f"ran {len(c.ran)} cell(s)")
        lines.append(f"- {_one_line(c.person.name)}: {', '.join(parts)}")
    if review is not None:
        lines += ["", f"Review: {_one_line(review)}"]
    credits = summary.trailers() if trailers else [WITHOUT_TRAILERS] if contributors else []
    if credits:
        lines += ["", *credits]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """On one line, whatever line breaks or control characters the text held."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _trailer_name(name: str) -> str:
    """A name that cannot close the trailer's address or start another trailer."""
    return _one_line(name.replace("<", " ").replace(">", " ")) or "Someone"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" if rest < 30 else f"{minutes + 1} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _span(since: float | None, until: float) -> str:
    def at(t: float) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")

    return f" {at(since)} to {at(until)}" if since is not None else f" until {at(until)}"
