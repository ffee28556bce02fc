"""The value the ingest package produces: a parsed book, independent of any storage."""

from __future__ import annotations

from typing import Literal

import msgspec


class IngestError(Exception):
    """A book that cannot be read. `code` is machine-readable and ends up in `book.error.code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(
        self,
    ) -> tuple[type[IngestError], tuple[str, str]]:  # crosses the process-pool boundary intact
        return (type(self), (self.code, self.message))


class ParsedAsset(msgspec.Struct, frozen=True):
    """A binary resource of the book (an image), addressed in chapter HTML by `name`."""

    name: str  # stable, URL-safe key, e.g. "images/0007.png"
    media_type: str
    data: bytes


class ParsedChapter(msgspec.Struct):
    number: int  # 1-based, reading order
    title: str
    level: int  # TOC depth, 1 = top
    html: str  # sanitized; every block carries id="p-<index>" matching `paragraphs`
    text: str  # plain text: the coordinate space for offsets
    paragraphs: list[tuple[int, int]]  # [start, end) offsets of each paragraph in `text`
    word_count: int
    is_front_matter: bool = False  # title page, copyright, TOC...: readable, skipped by NLP
    # per paragraph, the path of its source element in crengine's DOM (KOReader XPointers), e.g.
    # "/body/DocFragment[3]/body/div/p[2]" (EPUB, N = original spine index) or "/FictionBook/body/section/p[4]"
    sources: list[str] = []


class ParsedBook(msgspec.Struct):
    format: Literal["epub", "fb2"]
    title: str
    authors: list[str]
    language: str | None  # BCP-47-ish primary code: "en", "ru", ...
    chapters: list[ParsedChapter]
    assets: list[ParsedAsset] = []
    cover: ParsedAsset | None = None
    series: str | None = None
    series_index: float | None = None
    annotation: str | None = None
    publisher: str | None = None
    year: int | None = None
    identifiers: dict[str, str] = {}  # e.g. {"isbn": "...", "uuid": "..."}
    subjects: list[str] = []
    # where the story starts (EPUB 3 landmark `bodymatter`, EPUB 2 guide `text`, else the first chapter that
    # is not front matter): a new book opens there, not on the cover or the contents
    start_chapter: int | None = None

    @property
    def word_count(self) -> int:
        return sum(chapter.word_count for chapter in self.chapters)
