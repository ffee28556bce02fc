"""KOReader XPointers ↔ our (chapter, offset), paragraph-accurate (pure).

KOReader reports an EPUB/FB2 position as a crengine XPointer, e.g.
`/body/DocFragment[12]/body/div/p[5]/text().37` — the element path of the node at the top of the page and a
character offset in its text node. Ingest records, for every paragraph, the path of its source element
(`ParsedChapter.sources`, built by `ingest/xpath.py`). Mapping in: the paragraph whose path is the pointer's
path or its nearest ancestor (a pointer into a paragraph's inline markup lands in that paragraph); a pointer
at a container lands on the first paragraph inside it. Mapping out: the paragraph holding the offset, as an
element pointer (always resolvable by crengine, whatever the paragraph's inline structure).

Paths are compared in a canonical form without `[1]` (crengine writes `p` or `p[1]` for a first sibling
depending on its DOM version) and without the boxing elements crengine inserts for rendering (`autoBoxing`,
`floatBox`…, named by old-style XPointers).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

_TAIL = re.compile(r"(?:/text\(\)(?:\[(\d+)\])?)?(?:\.(\d+))?$")
_STEP = re.compile(r"^(?:/[A-Za-z_][\w.:-]*(?:\[\d+\])?)+$")


class XPointer(NamedTuple):
    path: str  # element path, canonical (no "[1]")
    text_index: int | None  # 1-based text node, None when the pointer names an element
    offset: int | None  # character offset in that text node


# elements crengine inserts for rendering (older "V1" XPointers name them; the source never has them)
_BOXING = re.compile(r"/(?:autoBoxing|tabularBox|floatBox|inlineBox|pseudoElem|rubyBox)(?:\[\d+\])?(?=/|$)")


def canonical(path: str) -> str:
    return _BOXING.sub("", path).replace("[1]", "").rstrip("/")


def parse_xpointer(value: str) -> XPointer | None:
    value = value.strip()
    if value.startswith("#(") and value.endswith(")"):
        value = value[2:-1]
    match = _TAIL.search(value)
    if match is None:
        return None
    path = value[: match.start()]
    if not path or not _STEP.match(path):
        return None
    has_text = "/text()" in match.group(0)
    text_index = int(match.group(1) or 1) if has_text else None
    offset = int(match.group(2)) if match.group(2) is not None else None
    return XPointer(canonical(path), text_index, offset)


class ChapterSources(NamedTuple):
    number: int
    paragraphs: Sequence[Sequence[int]]  # [start, end) per paragraph
    sources: Sequence[str]  # per paragraph


class PositionMap:
    """One book's paragraph paths, indexed both ways."""

    def __init__(self, chapters: Iterable[ChapterSources]) -> None:
        self.chapters: dict[int, ChapterSources] = {}
        self._exact: dict[str, tuple[int, int]] = {}
        self._first_under: dict[str, tuple[int, int]] = {}
        self._lengths: list[tuple[int, int]] = []  # (chapter, text length) in reading order
        for chapter in chapters:
            self.chapters[chapter.number] = chapter
            end = chapter.paragraphs[-1][1] if chapter.paragraphs else 0
            self._lengths.append((chapter.number, end))
            if len(chapter.sources) != len(chapter.paragraphs):
                continue  # a book ingested before paths were recorded
            for index, source in enumerate(chapter.sources):
                if not source:
                    continue
                key = canonical(source)
                self._exact.setdefault(key, (chapter.number, index))
                while key and key not in self._first_under:
                    self._first_under[key] = (chapter.number, index)
                    key = key[: key.rfind("/")]

    @property
    def has_paths(self) -> bool:
        return bool(self._exact)

    def to_position(self, xpointer: str) -> tuple[int, int] | None:
        """(chapter, offset) for a KOReader XPointer, or None when it names nothing we know."""
        parsed = parse_xpointer(xpointer)
        if parsed is None:
            return None
        found = self._exact.get(parsed.path)
        exact = found is not None
        if found is None:
            found = self._first_under.get(parsed.path)
        key = parsed.path
        while found is None and key.count("/") > 2:  # never up to the whole book ("/body")
            key = key[: key.rfind("/")]
            found = self._exact.get(key) or self._first_under.get(key)
        if found is None:
            return None
        number, index = found
        start, end = self.chapters[number].paragraphs[index][:2]
        offset = start
        if exact and parsed.offset is not None and parsed.text_index == 1:
            offset = min(start + parsed.offset, end)
        return number, offset

    def to_xpointer(self, chapter: int, offset: int) -> str | None:
        """An XPointer to the paragraph holding `offset` of `chapter`, or None without recorded paths."""
        entry = self.chapters.get(chapter)
        if entry is None or not entry.paragraphs or len(entry.sources) != len(entry.paragraphs):
            return None
        starts = [paragraph[0] for paragraph in entry.paragraphs]
        index = max(0, bisect.bisect_right(starts, offset) - 1)
        source = entry.sources[index]
        return source or None

    def paragraph_at(self, chapter: int, offset: int) -> int | None:
        entry = self.chapters.get(chapter)
        if entry is None or not entry.paragraphs:
            return None
        starts = [paragraph[0] for paragraph in entry.paragraphs]
        return max(0, bisect.bisect_right(starts, offset) - 1)

    def from_fraction(self, fraction: float) -> tuple[int, int] | None:
        """A position at `fraction` (0..1) of the book's text: the fallback when no path matches."""
        total = sum(length for _, length in self._lengths)
        if not self._lengths:
            return None
        target = max(0.0, min(1.0, fraction)) * total
        for number, length in self._lengths:
            if target <= length or number == self._lengths[-1][0]:
                return number, int(min(target, length))
            target -= length
        return None

    def fraction(self, chapter: int, offset: int) -> float:
        total = sum(length for _, length in self._lengths) or 1
        before = 0
        for number, length in self._lengths:
            if number == chapter:
                return min(1.0, (before + min(offset, length)) / total)
            before += length
        return 0.0
