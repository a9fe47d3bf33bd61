"""Forcing an interleaving with real objects: another actor's step right after one of ours."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def once_after(
    monkeypatch: pytest.MonkeyPatch, cls: object, name: str, then: Callable[[], object]
) -> Iterator[list[bool]]:
    """Run `then` (the person saving the file) right after the next `cls.name` call (a
    class's method, or a module's function looked up through the module); the yielded list
    holds whether it ran yet, and it must have run by the end."""
    real, done = getattr(cls, name), [False]

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = real(self, *args, **kwargs)
        if not done[0]:
            done[0] = True
            then()
        return result

    with monkeypatch.context() as patch:
        patch.setattr(cls, name, wrapped)
        yield done
    assert done[0]
