"""Shared checks for ingest tests: the invariants every ParsedBook must satisfy."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from bookreader.ingest import ParsedBook

BOOKS = Path(__file__).resolve().parents[3] / ".." / "shared" / "books"
ASSET_BASE = "/api/v1/books/test/assets/"
_INTERNAL = re.compile(r"^(?:\?chapter=(\d+))?#p-(\d+)$")
_FORBIDDEN = (
    "<script",
    "javascript:",
    "onerror",
    "onload",
    "<iframe",
    "<object",
    "<form",
    "<style",
    "<embed",
)


def check_book_invariants(book: ParsedBook, asset_base: str = ASSET_BASE) -> None:
    assert book.title.strip()
    assert book.chapters, "a parsed book has chapters"
    asset_urls = {asset_base + asset.name for asset in book.assets}
    assert len(asset_urls) == len(book.assets), "asset names are unique"
    ids_by_chapter: dict[int, set[str]] = {}
    for expected_number, chapter in enumerate(book.chapters, start=1):
        assert chapter.number == expected_number
        assert chapter.title.strip()
        assert chapter.level >= 1
        tree = HTMLParser(chapter.html)
        nonempty = []
        for index, (start, end) in enumerate(chapter.paragraphs):
            assert 0 <= start <= end <= len(chapter.text)
            node = tree.css_first(f'[id="p-{index}"]')
            assert node is not None, f"chapter {chapter.number}: no element p-{index}"
            assert node.text(deep=True) == chapter.text[start:end], (chapter.number, index)
            if end > start:
                nonempty.append(chapter.text[start:end])
        assert "\n\n".join(nonempty) == chapter.text, (
            f"chapter {chapter.number}: text is the joined paragraphs"
        )
        assert len(tree.css("[id]")) == len(chapter.paragraphs), "our p-ids are the only ids"
        lowered = chapter.html.lower()
        for needle in _FORBIDDEN:
            assert needle not in lowered, (chapter.number, needle)
        for image in tree.css("img"):
            assert image.attributes.get("src") in asset_urls, image.attributes
        if re.search(r"\w", chapter.text):
            assert chapter.word_count > 0
        ids_by_chapter[chapter.number] = {f"p-{i}" for i in range(len(chapter.paragraphs))}
    for chapter in book.chapters:
        for link in HTMLParser(chapter.html).css("a[href]"):
            href = link.attributes["href"] or ""
            if href.startswith(("http://", "https://")):
                continue
            match = _INTERNAL.match(href)
            assert match, f"unexpected link {href!r}"
            target = int(match.group(1) or chapter.number)
            assert f"p-{match.group(2)}" in ids_by_chapter[target], href


@pytest.fixture
def check_book() -> Callable[..., None]:
    return check_book_invariants
