from __future__ import annotations

import uuid

import msgspec


class DescriptionRead(msgspec.Struct):
    id: uuid.UUID
    chapter: int
    type: str
    text: str
    start: int
    end: int
    confidence: float
    priority: float
    entities: list[str] = []
    summary: str | None = None  # one line from the optional LLM judge (BOOKREADER_LLM_MODEL)


class AppearanceQuote(msgspec.Struct):
    chapter: int
    start: int
    end: int
    text: str


class CharacterRead(msgspec.Struct):
    id: uuid.UUID
    name: str
    aliases: list[str]
    mention_count: int
    first_chapter: int
    appearance: list[AppearanceQuote]


class ReanalysisQueued(msgspec.Struct):
    books: int  # books selected
    queued: int  # jobs added (a book already queued for the same version is not added twice)
    model_version: str  # the version(s) they will be analysed by
    book_ids: list[uuid.UUID] = []
