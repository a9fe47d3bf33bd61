"""Room service doubles for component tests: a gate on edits, a recorder of notes."""

from __future__ import annotations

from typing import Any

from pairbook.service import CommandTable, Member


class GateService:
    """A service whose edit gate refuses every edit with `refusal` (None: lets them in)."""

    def __init__(self, refusal: str | None = None) -> None:
        self.refusal = refusal
        self.commands: CommandTable[Any] = CommandTable.of("gate", [])
        self.joined: list[str] = []
        self.left: list[tuple[str, frozenset[int]]] = []

    def on_edit(self, member: Member) -> str | None:
        return self.refusal

    def on_join(self, member: Member) -> None:
        self.joined.append(member.key)

    def on_leave(self, member: Member) -> None:
        self.left.append((member.key, member.clients))

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class NotesService:
    """A service that keeps the room's notes for the recorder (joins, presence, commands)."""

    def __init__(self) -> None:
        self.commands: CommandTable[Any] = CommandTable.of("notes", [])
        self.notes: list[tuple[str, str, dict[str, Any]]] = []

    def note(self, kind: str, user: str, data: dict[str, Any]) -> None:
        self.notes.append((kind, user, data))

    def note_awareness(self, user: str, client: int, state: dict[str, Any] | None) -> None:
        self.notes.append(("awareness", user, {"client": client}))

    def note_command(self, member: Member, body: dict[str, Any]) -> None:
        self.notes.append(("command", member.user.id, {"command": body.get("command")}))

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
