"""Prompts: input() in a cell asks the person who ran it; everyone else sees it waiting; the
prompt and the answer are then echoed in the cell's output, as Jupyter does (a password
prompt's answer is not)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from pairbook.kernel.ports import RunnerRoom
from pairbook.kernel.queue import Execution, ExecutionStatus
from pairbook.service import Member

Publish = Callable[[Execution], Awaitable[None]]
Echo = Callable[[str, dict[str, Any]], None]  # an output for the run's cell (IOPub shaped)


def echo_text(prompt: str, answer: str, password: bool) -> str:
    """What the cell's output shows once a prompt is answered: "who? Ada", or only the
    prompt for a password (getpass), as a terminal shows it."""
    return f"{prompt}{'' if password else answer}\n"


class Prompts:
    """The runs waiting for an answer to their stdin prompt, and who may give it."""

    def __init__(self, room: RunnerRoom, publish: Publish) -> None:
        self._room = room
        self._publish = publish
        self._waiting: dict[str, tuple[str, asyncio.Future[str]]] = {}  # run -> (user, answer)

    async def ask(self, execution: Execution, prompt: str, password: bool, echo: Echo) -> str:
        """The kernel's input callback for this run: asks the connection that queued it,
        waits for `answer`, and echoes prompt and answer into the run's output by `echo`
        before the kernel gets the answer (so they come before what the code prints next)."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting[execution.id] = (str(execution.user.get("id")), future)
        execution.status = ExecutionStatus.WAITING_INPUT
        execution.extra["prompt"] = prompt
        await self._publish(execution)
        event = {"event": "input-request", "execution": execution.id, "cell": execution.cell_id,
                 "prompt": prompt, "password": password}  # fmt: skip
        for member in self._room.members():
            if member.key == execution.requested_by:
                self._room.notify_member(member, event)
        try:
            answer = await future
            echo("stream", {"name": "stdout", "text": echo_text(prompt, answer, password)})
            return answer
        finally:
            self._waiting.pop(execution.id, None)
            execution.status = ExecutionStatus.RUNNING
            await self._publish(execution)

    def answer(self, member: Member, execution_id: str, value: str) -> None:
        """Give a waiting run its input. Raises ValueError when none waits, PermissionError
        when the member is not the person who ran the cell."""
        waiting = self._waiting.get(execution_id)
        if waiting is None or waiting[1].done():
            raise ValueError("no run is waiting for your input")
        asker, future = waiting
        if asker != member.user.id:
            # input() may ask for a password: only the person who ran the cell answers.
            raise PermissionError("only the person who ran this cell can answer its prompt")
        future.set_result(value)
