"""XPointer ↔ (chapter, offset) on real books, both ways, on ≥ 99 % of paragraphs sampled across each book:
our position → XPointer → position (an independent resolver — lxml over the original file, crengine's path
rules — finds the same text at the XPointer), and the issue's goal proper, a device's XPointer → position →
XPointer naming the same paragraph, for every EPUB and FB2 of ../shared/books that parses (fb2.zip and the
malformed-but-readable ones included). Run with `-s` to see the per-book rates."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

from tests.unit.kosync.resolver import SourceResolver, epub_paragraphs, fb2_paragraphs, local, visible_text

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


def _readable_books(root: Path) -> list[tuple[Path, bytes, ParsedBook]]:
    """Every EPUB / FB2 / FB2-in-zip of the shared books that parses (= would reach `ready`)."""
    books = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".epub", ".fb2", ".zip")):
        data = path.read_bytes()
        try:
            book = parse_book(data)
        except IngestError:
            continue
        if path.suffix == ".zip":  # the device hashes the zip but reads the FB2 inside it
            archive = zipfile.ZipFile(io.BytesIO(data))
            data = archive.read(next(n for n in archive.namelist() if n.lower().endswith(".fb2")))
        books.append((path, data, book))
    return books


CONTAINERS = {"section", "body", "FictionBook", "html", "div", "epigraph", "cite", "poem", "stanza"}


def _same_paragraph(target, landed) -> bool:
    """The device's paragraph, or the one block the reader shows it in: an FB2 title's `<p>` lines are one
    heading, and so are the `<p>` a malformed FB2 nests inside a `<p>` or `<subtitle>` — the round trip lands
    on that block, whose text holds the device's paragraph. Never a section or other container."""
    if landed is target:
        return True
    return (
        landed in target.iterancestors()
        and local(landed.tag) not in CONTAINERS
        and visible_text(target) in visible_text(landed)
    )


def test_device_xpointer_round_trip_on_every_readable_shared_book(shared_books: Path) -> None:
    rng = random.Random(1212)
    report: list[str] = []
    failing: list[str] = []
    checked = 0
    for path, data, book in _readable_books(shared_books):
        positions = _position_map(book)
        resolver = SourceResolver(data, book.format)
        paragraphs = epub_paragraphs(data) if book.format == "epub" else fb2_paragraphs(data)
        if not paragraphs:
            report.append(f"{path.relative_to(shared_books)}: no text paragraphs (picture book)")
            continue
        sample = rng.sample(paragraphs, min(300, len(paragraphs)))
        same = 0
        for xpointer, element in sample:
            lead = (element.text or "").strip()
            if lead:  # KOReader adds the character offset in the paragraph's first text node
                xpointer = f"{xpointer}/text().{rng.randint(0, len(lead) - 1)}"
            target = resolver.resolve(xpointer.split("/text()")[0])
            position = positions.to_position(xpointer)
            back = positions.to_xpointer(*position) if position is not None else None
            landed = resolver.resolve(back) if back else None
            same += target is not None and landed is not None and _same_paragraph(target, landed)
        rate = same / len(sample)
        report.append(f"{path.relative_to(shared_books)}: {rate:.3f} of {len(sample)} paragraphs")
        if rate < 0.99:
            failing.append(report[-1])
        checked += 1
    print("\nXPointer → position → XPointer, same paragraph:\n" + "\n".join(report))
    assert checked >= 15, report
    assert not failing, "\n".join(failing)
