"""XPointer ↔ (chapter, offset) on real books: every sampled paragraph maps to an XPointer that an independent
resolver (lxml over the original file, crengine's path rules) finds holding the same text, and back to the same
paragraph — on ≥ 99 % of paragraphs sampled across each book."""

from __future__ import annotations

import random
from pathlib import Path

from tests.unit.kosync.resolver import SourceResolver, visible_text

from bookreader.domain.kosync.xpointer import ChapterSources, PositionMap
from bookreader.ingest import IngestError, ParsedBook, parse_book


def _position_map(book: ParsedBook) -> PositionMap:
    return PositionMap(ChapterSources(ch.number, ch.paragraphs, ch.sources) for ch in book.chapters)


def _books(root: Path) -> list[Path]:
    return sorted(
        path for sub in ("epub2", "epub3", "fb2") for path in (root / sub).glob("*") if path.is_file()
    )


def test_round_trip_on_shared_books(shared_books: Path) -> None:
    rng = random.Random(12)
    checked_books = 0
    report: list[str] = []
    for path in _books(shared_books):
        data = path.read_bytes()
        try:
            book = parse_book(data)
        except IngestError:
            continue  # a book that does not reach `ready` is not in the goal
        positions = _position_map(book)
        resolver = SourceResolver(data, book.format)
        # paragraphs with text: a picture-only paragraph has no width in the offset space to land on
        samples = [
            (chapter, index)
            for chapter in book.chapters
            for index, (start, end) in enumerate(chapter.paragraphs)
            if end > start
        ]
        if not samples:
            continue  # a picture book: nothing to place by text offset
        samples = rng.sample(samples, min(300, len(samples)))
        same = 0
        for chapter, index in samples:
            start, end = chapter.paragraphs[index]
            offset = rng.randint(start, max(start, end - 1))
            xpointer = positions.to_xpointer(chapter.number, offset)
            assert xpointer is not None, (path.name, chapter.number, index)
            element = resolver.resolve(xpointer)
            ours = "".join(chapter.text[start:end].split())
            text_matches = element is not None and ours in visible_text(element)
            back = positions.to_position(xpointer)
            lands = back is not None and back[0] == chapter.number
            lands = lands and positions.paragraph_at(back[0], back[1]) == index
            same += text_matches and lands
        rate = same / len(samples)
        report.append(f"{path.name}: {rate:.3f} of {len(samples)}")
        assert rate >= 0.99, "\n".join(report)
        checked_books += 1
    print("\n".join(report))
    assert checked_books >= 5
