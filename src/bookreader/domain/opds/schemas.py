"""What the OPDS feeds are built from: storage-independent values shared by the 1.2 (Atom) and 2.0 (JSON)
renderers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

MEDIA_TYPES = {"epub": "application/epub+zip", "fb2": "application/x-fictionbook+xml"}
EXPORT_MEDIA_TYPE = "application/epub+zip"


class BookEntry(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    title: str
    authors: list[str]
    language: str | None
    format: str
    summary: str | None = None
    series: str | None = None
    series_index: float | None = None
    publisher: str | None = None
    year: int | None = None
    subjects: list[str] = []
    has_cover: bool = False
    file_size: int = 0
    filename: str = ""
    created_at: datetime
    updated_at: datetime
    export_ready: bool = False  # the illustrated EPUB export is built (issue 14)


class NavItem(msgspec.Struct, kw_only=True):
    """One navigation entry: `href` is relative to the catalog root of the OPDS version (e.g. "authors")."""

    key: str  # stable, unique in its feed: becomes the entry id
    title: str
    href: str
    kind: Literal["navigation", "acquisition"] = "acquisition"
    summary: str = ""
    count: int | None = None


class Page(msgspec.Struct, kw_only=True):
    """A page of a feed: `path` is relative to the catalog root ("" for the root), `query` its extra
    parameters other than `page`."""

    path: str
    title: str
    number: int = 1
    per_page: int
    total: int
    query: dict[str, str] = {}

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.per_page))
