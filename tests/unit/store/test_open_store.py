"""Choosing a store back end from a URL or a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from pairbook.errors import StoreError
from pairbook.store import MemoryStore, SQLiteStore, open_store
from pairbook.store.postgres import PostgresStore


def test_memory_url_gives_a_memory_store() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)


def test_a_plain_path_gives_an_sqlite_store_on_that_file(tmp_path: Path) -> None:
    store = open_store(tmp_path / "pairbook.sqlite")
    assert isinstance(store, SQLiteStore)
    assert store.path == tmp_path / "pairbook.sqlite"
    assert store.synchronous == "normal"


def test_sqlite_urls_name_relative_and_absolute_files() -> None:
    relative = open_store("sqlite:///state/pairbook.sqlite")
    absolute = open_store("sqlite:////var/lib/pairbook.sqlite?synchronous=full")
    assert isinstance(relative, SQLiteStore)
    assert isinstance(absolute, SQLiteStore)
    assert relative.path == Path("state/pairbook.sqlite")
    assert (absolute.path, absolute.synchronous) == (Path("/var/lib/pairbook.sqlite"), "full")


def test_the_synchronous_argument_applies_to_paths() -> None:
    store = open_store("pairbook.sqlite", synchronous="full")
    assert isinstance(store, SQLiteStore)
    assert store.synchronous == "full"


def test_an_unknown_synchronous_mode_in_the_url_is_refused() -> None:
    with pytest.raises(StoreError, match="synchronous='off' is not one of normal, full"):
        open_store("sqlite:///pairbook.sqlite?synchronous=off")


def test_an_sqlite_url_without_a_file_is_refused() -> None:
    with pytest.raises(StoreError, match="names no file"):
        open_store("sqlite://")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgresql_urls_give_a_postgres_store_not_yet_connected(scheme: str) -> None:
    store = open_store(f"{scheme}://pairbook@db.example:5432/pairbook")
    assert isinstance(store, PostgresStore)
    assert store.url == f"{scheme}://pairbook@db.example:5432/pairbook"


def test_a_postgres_store_never_shows_its_password() -> None:
    store = open_store("postgresql://pairbook:s3cret@db/pairbook?password=s3cret&sslmode=require")
    assert "s3cret" not in repr(store)
    assert "pairbook:***@db" in repr(store)
    assert "sslmode=require" in repr(store)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("postgresql://pairbook:s3cret@db/pairbook?no_such_parameter=1", "libpq reads"),
        ("PostgreSQL://pairbook:s3cret@db/pairbook", "is not a postgresql:// URL"),
    ],
)
def test_a_postgresql_url_libpq_cannot_read_is_refused_without_its_password(
    url: str, why: str
) -> None:
    with pytest.raises(StoreError, match=why) as caught:
        open_store(url)
    assert "s3cret" not in str(caught.value)


def test_redis_is_not_a_store_and_the_error_says_where_it_goes() -> None:
    with pytest.raises(StoreError, match="does not keep the log; pass --store postgresql://"):
        open_store("redis://localhost:6379/0")


def test_an_unknown_scheme_lists_the_accepted_ones() -> None:
    with pytest.raises(StoreError, match=r"unknown store URL scheme 'ftp'.*use memory://, sqlite"):
        open_store("ftp://example/pairbook.sqlite")


async def test_an_unopenable_path_fails_on_open_with_advice(tmp_path: Path) -> None:
    store = open_store(tmp_path / "no" / "such" / "dir" / "pairbook.sqlite")
    with pytest.raises(StoreError, match="does not exist; create it or pass --store"):
        async with store:
            pass
