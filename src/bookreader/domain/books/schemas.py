from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

BookStatus = Literal["queued", "parsing", "analyzing", "ready", "failed"]


class BookError(msgspec.Struct):
    code: str
    message: str


class BookRead(msgspec.Struct):
    id: uuid.UUID
    title: str
    authors: list[str]
    language: str | None
    format: str
    status: BookStatus
    stage: str
    stage_progress: float
    error: BookError | None
    chapter_count: int
    word_count: int
    cover_url: str | None
    thumbnail_url: str | None
    file_size: int
    filename: str
    created_at: datetime
    updated_at: datetime
    series: str | None = None
    series_index: float | None = None
    annotation: str | None = None
    publisher: str | None = None
    year: int | None = None
    identifiers: dict[str, str] = {}
    subjects: list[str] = []
    start_chapter: int | None = None  # where the story starts: a new book opens there (issue 14)


class BookPage(msgspec.Struct):
    items: list[BookRead]
    total: int
    limit: int
    offset: int


class ChapterSummary(msgspec.Struct):
    number: int
    title: str
    level: int
    word_count: int
    is_front_matter: bool = False


class ChapterRead(msgspec.Struct):
    number: int
    title: str
    level: int
    html: str
    text: str
    paragraphs: list[tuple[int, int]]
    word_count: int
    is_front_matter: bool
    descriptions: list[dict]
    images: list[dict]
    prev: int | None = None
    next: int | None = None
