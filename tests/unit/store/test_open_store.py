"""Choosing a store back end from a URL or a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from pairbook.errors import StoreError
from pairbook.store import MemoryStore, SQLiteStore, open_store


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


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "postgres://db/pairbook"])
def test_scale_out_back_ends_are_not_available_yet(url: str) -> None:
    with pytest.raises(StoreError, match="not available yet; use memory://"):
        open_store(url)


def test_an_unknown_scheme_lists_the_accepted_ones() -> None:
    with pytest.raises(StoreError, match=r"unknown store URL scheme 'ftp'.*use memory://, sqlite"):
        open_store("ftp://example/pairbook.sqlite")


async def test_an_unopenable_path_fails_on_open_with_advice(tmp_path: Path) -> None:
    store = open_store(tmp_path / "no" / "such" / "dir" / "pairbook.sqlite")
    with pytest.raises(StoreError, match="does not exist; create it or pass --store"):
        async with store:
            pass
