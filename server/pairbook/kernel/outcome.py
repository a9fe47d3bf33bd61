"""How a run ended: `ExecutionOutcome`, read from the kernel's execute_reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """How a run ended, from the kernel's execute_reply."""

    status: Literal["ok", "error", "aborted", "dead"]
    execution_count: int | None
    ename: str | None = None
    # Evaluated after the code, in the same request, only when the code succeeded.
    user_expressions: dict[str, Any] = field(default_factory=dict)


def outcome_of(
    reply: dict[str, Any] | None, execution_count: int | None, interrupted: bool
) -> ExecutionOutcome:
    """The outcome of an execute_reply (None: none came); a run that did not succeed after
    an interrupt ended with KeyboardInterrupt, whatever the reply says (or did not say)."""
    content = reply.get("content", {}) if reply else {}
    status = content.get("status", "error")
    ename = content.get("ename")
    if interrupted and status != "ok":
        ename = "KeyboardInterrupt"
    return ExecutionOutcome(
        "ok" if status == "ok" else ("aborted" if status == "aborted" else "error"),
        content.get("execution_count", execution_count),
        ename,
        dict(content.get("user_expressions") or {}),
    )
