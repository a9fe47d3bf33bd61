"""The document schema: one name per top-level map, the server's authors, one user shape."""

from __future__ import annotations

from pairbook import schema
from pairbook.auth import User, color_for
from pairbook.types import DISK_USER, SERVER_MAPS, SERVER_USER, UserId


def test_every_map_the_server_guards_is_a_named_top_level_map() -> None:
    assert schema.PROTECTED_ROOTS.issubset(schema.DOCUMENT_MAPS.values())
    assert {schema.CELLS, schema.META}.isdisjoint(schema.PROTECTED_ROOTS)


def test_the_catalogue_names_each_map_by_its_constant() -> None:
    for name, value in schema.DOCUMENT_MAPS.items():
        assert getattr(schema, name) == value


def test_the_server_writes_under_server_authors_and_people_do_not() -> None:
    assert all(schema.is_server_author(a) for a in (SERVER_USER, SERVER_MAPS, DISK_USER))
    assert not schema.is_server_author("ana")
    assert not schema.is_server_author(None)


def test_a_user_has_one_shape_and_its_json_adds_only_the_email() -> None:
    ana = User(UserId("ana"), "Ana", "#e6194b", "ana@example.org")
    assert ana.to_record() == {"id": "ana", "name": "Ana", "color": "#e6194b"}
    assert ana.to_json() == {**ana.to_record(), "email": "ana@example.org"}
    assert User.from_json(ana.to_json()) == ana


def test_someone_known_only_by_id_is_named_by_it_in_their_color() -> None:
    assert User.of_id("bo").to_record() == {"id": "bo", "name": "bo", "color": color_for("bo")}
    assert User.from_json({"id": "bo"}) == User.of_id("bo")
