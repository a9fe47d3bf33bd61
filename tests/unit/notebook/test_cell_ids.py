"""Cell ids checked against nbformat's pattern and derived deterministically."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given

from pairbook.notebook.cell_ids import assign_cell_ids, derive_cell_id, is_valid_cell_id

IDS = st.lists(st.none() | st.sampled_from(["a", "b", "c", "bad id", ""]), max_size=12)


@given(IDS, st.text(max_size=8))
def test_assigned_ids_are_valid_unique_and_keep_first_occurrences(
    ids: list[str | None], salt: str
) -> None:
    assigned = assign_cell_ids(ids, salt)

    assert len(assigned) == len(ids)
    assert len(set(assigned)) == len(assigned)
    assert all(is_valid_cell_id(cell_id) for cell_id in assigned)
    for original in {"a", "b", "c"} & set(ids):
        assert assigned[ids.index(original)] == original
    assert assign_cell_ids(ids, salt) == assigned


def test_a_repeated_id_gets_the_same_new_id_when_cells_are_inserted_elsewhere() -> None:
    first = assign_cell_ids(["a", "b", "a"], "salt")
    later = assign_cell_ids(["new", "a", "b", "other", "a"], "salt")

    assert first[2] == later[4]


def test_derived_ids_look_like_nbformat_ids_and_avoid_taken_ones() -> None:
    cell_id = derive_cell_id("seed", set())

    assert len(cell_id) == 8
    assert is_valid_cell_id(cell_id)
    assert derive_cell_id("seed", {cell_id}) != cell_id


def test_ids_longer_than_64_characters_are_invalid() -> None:
    assert is_valid_cell_id("x" * 64)
    assert not is_valid_cell_id("x" * 65)
    assert not is_valid_cell_id(7)
