"""Values the nlp package consumes and produces."""

from __future__ import annotations

from typing import Literal

import msgspec

DescriptionType = Literal["location", "character", "atmosphere", "object", "action"]


class ChapterText(msgspec.Struct, frozen=True):
    number: int
    text: str
    paragraphs: list[tuple[int, int]] = []
    skip: bool = False  # front matter: no descriptions


class FoundDescription(msgspec.Struct):
    chapter: int
    type: DescriptionType
    start: int  # chapter text[start:end] == text
    end: int
    text: str
    confidence: float  # 0..1
    priority: float  # higher = more worth illustrating
    entities: list[str] = []  # canonical character / place names mentioned
    summary: str | None = None  # a one-line visual summary (the optional LLM judge, outside nlp/)


class CharacterQuote(msgspec.Struct, frozen=True):
    chapter: int
    start: int
    end: int
    text: str


class Mention(msgspec.Struct, frozen=True, array_like=True):
    """One mention of a character or place: which of its names, where (chapter, sentence start)."""

    alias: str
    chapter: int
    offset: int


class FoundCharacter(msgspec.Struct):
    name: str  # canonical name (nominative for Russian)
    aliases: list[str]
    mention_count: int
    first_chapter: int
    appearance: list[CharacterQuote] = []  # appearance details near mentions
    kind: Literal["character", "place"] = "character"
    mentions: list[Mention] = []  # every mention in reading order: the cast is cut at a reader's position


class BookAnalysis(msgspec.Struct):
    language: str
    descriptions: list[FoundDescription]
    characters: list[FoundCharacter]
    places: list[FoundCharacter] = []  # recurring named locations, gathered like the characters
    model_version: str = "none"  # which model + calibration produced the descriptions
