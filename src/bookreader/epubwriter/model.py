"""The values the EPUB writer takes: a book as the export sees it, independent of any storage."""

from __future__ import annotations

import msgspec


class Resource(msgspec.Struct, frozen=True):
    """A binary file of the EPUB (an image), addressed by `name` inside the package folder."""

    name: str  # e.g. "assets/images/0003.png", "pictures/ab12….png", "cover.jpg"
    media_type: str
    data: bytes


class Figure(msgspec.Struct, frozen=True):
    """A picture to place after the paragraph that holds the end of the passage it illustrates."""

    chapter: int
    start: int  # [start, end) of the passage in the chapter's text
    end: int
    passage: str
    image: Resource


class ExportChapter(msgspec.Struct, frozen=True):
    number: int
    title: str
    level: int
    html: str  # the sanitized chapter HTML the reader shows (ingest/ conventions: blocks carry id="p-<i>")
    paragraphs: list[tuple[int, int]]
    is_front_matter: bool = False


class CastQuote(msgspec.Struct, frozen=True):
    chapter: int
    text: str


class CastMember(msgspec.Struct, frozen=True):
    name: str
    first_chapter: int
    aliases: list[str] = []
    quotes: list[CastQuote] = []
    portrait: Resource | None = None  # the reader's portrait of them (the version the cast panel shows)


class ExportMetadata(msgspec.Struct, frozen=True):
    identifier: str  # the package's unique id, e.g. "urn:uuid:…"
    title: str
    modified: str  # dcterms:modified, "CCYY-MM-DDThh:mm:ssZ"
    authors: list[str] = []
    language: str | None = None
    identifiers: dict[str, str] = {}  # {"isbn": "…", "uuid": "…", …}: extra dc:identifiers
    series: str | None = None
    series_index: float | None = None
    description: str | None = None
    publisher: str | None = None
    year: int | None = None
    subjects: list[str] = []


class ExportBook(msgspec.Struct, frozen=True):
    metadata: ExportMetadata
    chapters: list[ExportChapter]
    asset_url_prefix: (
        str  # how chapter HTML addresses the book's own images, e.g. "/api/v1/books/<id>/assets/"
    )
    assets: list[Resource] = []  # the book's own images, `name` relative to `asset_url_prefix`
    figures: list[Figure] = []
    cover: Resource | None = None
    start_chapter: int | None = None  # where the story starts: the `bodymatter` landmark
    cast: list[CastMember] | None = None  # None: no appendix
    cast_title: str = "Who's who"
