"""XPointer ↔ (chapter, offset) on real books: every sampled paragraph maps to an XPointer that an independent
resolver (lxml over the original file, crengine's path rules) finds holding the same text, and back to the same
paragraph — on ≥ 99 % of paragraphs sampled across each book."""

from __future__ import annotations

import posixpath
import random
import re
import zipfile
from io import BytesIO
from pathlib import Path

from lxml import etree

from bookreader.domain.kosync.xpointer import ChapterSources, PositionMap
from bookreader.ingest import IngestError, ParsedBook, parse_book

_STEP = re.compile(r"([^/\[]+)(?:\[(\d+)\])?")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: etree._Element) -> str:
    """Text as a reader shows it (ruby parentheses, <rp>, are not shown; MathML reads as its alttext)."""
    if _local(element.tag) == "math" and element.get("alttext"):
        return "".join(element.get("alttext", "").split())
    parts: list[str] = [element.text or ""]
    for child in element:
        if _local(child.tag) != "rp":
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(
        "".join(parts).split()
    )  # whitespace-free: engines collapse spaces at inline edges differently


def _walk(element: etree._Element, steps: list[str]) -> etree._Element | None:
    for step in steps:
        match = _STEP.fullmatch(step)
        if match is None:
            return None
        name, index = match.group(1), int(match.group(2) or 1)
        same = [child for child in element if _local(child.tag) == name]
        if len(same) < index:
            return None
        element = same[index - 1]
    return element


def _spine_documents(data: bytes) -> list[bytes | None]:
    """The spine's documents in order, read straight from the zip (not through our ingest)."""
    archive = zipfile.ZipFile(BytesIO(data))
    container = etree.fromstring(archive.read("META-INF/container.xml"))
    opf_path = next(el.get("full-path") for el in container.iter() if _local(el.tag) == "rootfile")
    opf = etree.fromstring(archive.read(opf_path))
    base = posixpath.dirname(opf_path)
    manifest = {el.get("id"): el.get("href") for el in opf.iter() if _local(el.tag) == "item"}
    documents: list[bytes | None] = []
    seen: set[str] = set()
    for itemref in (el for el in opf.iter() if _local(el.tag) == "itemref"):
        href = manifest.get(itemref.get("idref"))
        if href is None or href in seen:
            continue
        seen.add(href)
        name = posixpath.normpath(posixpath.join(base, href.split("#")[0]))
        try:
            documents.append(archive.read(name))
        except KeyError:
            documents.append(None)
    return documents


class SourceResolver:
    def __init__(self, data: bytes, fmt: str) -> None:
        self.fmt = fmt
        self.cache: dict[int, etree._Element | None] = {}
        if fmt == "epub":
            self.documents = _spine_documents(data)
        else:
            self.root = etree.fromstring(data, etree.XMLParser(recover=True, huge_tree=True))

    def _document(self, index: int) -> etree._Element | None:
        if index not in self.cache:
            raw = self.documents[index - 1] if 0 < index <= len(self.documents) else None
            root = None
            if raw:
                try:
                    root = etree.fromstring(raw, etree.XMLParser(recover=True, resolve_entities=False))
                except etree.XMLSyntaxError:
                    root = None
            self.cache[index] = root
        return self.cache[index]

    def resolve(self, xpointer: str) -> etree._Element | None:
        steps = xpointer.strip("/").split("/")
        if self.fmt == "fb2":
            return _walk(self.root, steps[1:]) if steps[0] == "FictionBook" else None
        match = _STEP.fullmatch(steps[1])
        if steps[0] != "body" or match is None or match.group(1) != "DocFragment":
            return None
        root = self._document(int(match.group(2) or 1))
        if root is None:
            return None
        body = next((el for el in root.iter() if _local(el.tag) == "body"), None)
        return _walk(body, steps[3:]) if body is not None and steps[2] == "body" else None


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
            text_matches = element is not None and ours in _text(element)
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
