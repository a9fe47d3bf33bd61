"""Every relative link and image in README.md leads to a file or folder of the repository,
and a link into a docs page's heading (`docs/kernel.md#commands`) to a heading it has.

The docs site checks its own links (`mkdocs build --strict`); the README is read on its own
(on a forge, in an editor), so its links into docs/ are checked here."""

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_INLINE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)


def link_targets(markdown: str) -> list[str]:
    """The targets of inline and reference links and images, outside code."""
    text = _CODE.sub("", _FENCE.sub("", markdown))
    return _INLINE.findall(text) + _REFERENCE.findall(text)


def is_relative(target: str) -> bool:
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc or target.startswith("#"))


def slug(heading: str) -> str:
    """A heading's anchor as mkdocs (Python-Markdown's toc) makes it."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    """The anchors of a Markdown page's headings (outside code blocks)."""
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
    return {slug(re.sub(r"[`*_]", "", heading)) for heading in headings}


def broken(markdown: str, base: Path) -> list[str]:
    missing = []
    for target in link_targets(markdown):
        if not is_relative(target):
            continue
        if not resolves(target, base):
            missing.append(target)
    return missing


def resolves(target: str, base: Path) -> bool:
    parts = urlsplit(target)
    path = base / unquote(parts.path)
    if not path.exists():
        return False
    return not parts.fragment or path.suffix != ".md" or parts.fragment in anchors(path)


def test_every_relative_link_in_the_readme_resolves() -> None:
    markdown = README.read_text(encoding="utf-8")
    assert [t for t in link_targets(markdown) if is_relative(t)], "README.md links nowhere"
    assert broken(markdown, ROOT) == []


def test_the_checker_sees_links_images_and_references(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "here.md").write_text("# Here\n\n## A heading, `with` code\n")
    markdown = (
        "[ok](docs/here.md#a-heading-with-code) [gone](docs/gone.md)\n"
        "[no such heading](docs/here.md#elsewhere)\n"
        "![a picture\nover two lines](docs/missing.png)\n"
        "[web](https://example.org/x) [anchor](#top) `[code](docs/nope.md)`\n"
        "```\n[fenced](docs/nope.md)\n```\n"
        "[ref]: docs/also-gone.md\n"
    )
    assert broken(markdown, tmp_path) == [
        "docs/gone.md",
        "docs/here.md#elsewhere",
        "docs/missing.png",
        "docs/also-gone.md",
    ]
