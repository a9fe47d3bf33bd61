"""A sandboxed kernel's caches go to folders of its own, its jedi cache seeded with a copy
of the stubs pairbook parsed once."""

from __future__ import annotations

import threading
from pathlib import Path

from pairbook.kernel.caches import build_seed, place_seed, seed_key


def a_seed(tmp_path: Path) -> Path:
    seed = tmp_path / "seed"
    (seed / "jedi" / "CPython-311-33").mkdir(parents=True)
    (seed / "jedi" / "CPython-311-33" / "stubs.pkl").write_bytes(b"parsed")
    return seed


def test_a_built_seed_is_copied_into_the_kernels_cache_not_linked(tmp_path: Path) -> None:
    seed = a_seed(tmp_path)
    cache = tmp_path / "kernel" / "cache"
    assert place_seed(cache, seed, build=lambda _: None)
    copied = cache / "jedi" / "CPython-311-33" / "stubs.pkl"
    assert copied.read_bytes() == b"parsed"
    copied.write_bytes(b"rewritten by the kernel")  # in place, as parso writes
    assert (seed / "jedi" / "CPython-311-33" / "stubs.pkl").read_bytes() == b"parsed"


def test_without_a_seed_the_kernel_starts_with_an_empty_cache_and_the_seed_is_built(
    tmp_path: Path,
) -> None:
    asked: list[Path] = []
    built = threading.Event()

    def build(seed: Path) -> None:
        asked.append(seed)
        built.set()

    cache = tmp_path / "kernel" / "cache"
    assert not place_seed(cache, tmp_path / "seed", build=build)
    assert built.wait(5)
    assert asked == [tmp_path / "seed"]
    assert not (cache / "jedi").exists()


def test_the_seed_is_this_pythons_and_jedis() -> None:
    key = seed_key()
    assert key.startswith("cpython3")
    assert "-jedi" in key
    assert "-parso" in key


def test_a_seed_that_could_not_be_built_is_not_tried_again_at_every_kernel_start(
    tmp_path: Path,
) -> None:
    seed = tmp_path / "file-in-the-way" / "seed"
    (tmp_path / "file-in-the-way").write_text("not a folder")
    assert not build_seed(seed)  # its parent cannot be made
    started = threading.Event()
    assert not place_seed(tmp_path / "cache", seed, build=lambda _: started.set())
    assert not started.wait(0.2)
