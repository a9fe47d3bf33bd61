"""`types.value`: the value objects built on every update, frozen to mypy, plain at run time."""

from __future__ import annotations

import dataclasses

import pytest

from pairbook.auth import Role, User
from pairbook.notebook.applied import Applied
from pairbook.protocol.messages import AwarenessMessage, SyncUpdate
from pairbook.protocol.update import Struct, StructKind, UpdateSummary
from pairbook.rooms.effects import Answer, Apply, Broadcast, Commit, Refuse, Send
from pairbook.rooms.guard import Admission
from pairbook.service.cells import CellsChange
from pairbook.service.port import Member
from pairbook.types import UserId, value

HOT = [Struct, UpdateSummary, SyncUpdate, AwarenessMessage, Admission, Applied, CellsChange,
       Member, Send, Answer, Broadcast, Apply, Commit, Refuse]  # fmt: skip


@value
class Point:
    x: int
    y: int = 0


def test_a_value_is_a_slotted_dataclass_equal_and_hashed_by_its_fields() -> None:
    point = Point(1, 2)
    assert point == Point(1, 2) != Point(1, 3)
    assert hash(point) == hash(Point(1, 2))
    assert {point: "here"}[Point(1, 2)] == "here"
    assert dataclasses.replace(point, y=5) == Point(1, 5)
    assert not hasattr(point, "__dict__")
    with pytest.raises(AttributeError):
        point.z = 3  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", HOT, ids=lambda cls: cls.__name__)
def test_the_objects_of_the_update_path_are_built_without_object_setattr(cls: type) -> None:
    # A frozen dataclass's __init__ sets each field through object.__setattr__ (1.5 µs for
    # a Struct's ten fields, 0.3 plainly): these are built for every update a room takes.
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen is False
    assert cls.__hash__ is not None  # hashed by its fields, as when it was frozen
    assert "__slots__" in vars(cls)


def test_the_update_path_objects_hash_as_before() -> None:
    struct = Struct(1, 0, 1, StructKind.ITEM, (1, 0), None, None, None, None, 4)
    assert hash(struct) == hash(dataclasses.replace(struct))
    user = User(UserId("u"), "U", "#336699")
    member = Member("k", user, Role.EDITOR, frozenset({1}), "")
    assert {member} == {Member("k", user, Role.EDITOR, frozenset({1}), "")}
    with pytest.raises(TypeError):  # it holds a dict (its delete set), as before
        hash(UpdateSummary((struct,), {}))
