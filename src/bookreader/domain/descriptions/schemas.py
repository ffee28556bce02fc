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
