"""The jedi seed is built by pairbook's own Python, once: the pickles of the stubs a first
completion parses, which a sandboxed kernel's fresh cache then starts with."""

from __future__ import annotations

from pathlib import Path

from pairbook.kernel.caches import build_seed, place_seed


def test_the_seed_holds_jedis_pickles_and_is_built_once(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    assert build_seed(seed)
    pickles = sorted((seed / "jedi").rglob("*.pkl"))
    assert pickles, "jedi pickled nothing"
    assert not (seed / "ipython").exists()
    stamp = pickles[0].stat().st_mtime_ns
    assert build_seed(seed)  # already there: not built again
    assert pickles[0].stat().st_mtime_ns == stamp
    assert list(seed.parent.glob(".building-*")) == []

    cache = tmp_path / "kernel" / "cache"
    assert place_seed(cache, seed)
    assert sorted(p.name for p in (cache / "jedi").rglob("*.pkl")) == [p.name for p in pickles]
