"""A description → the prompt, style, provider and cache key of its picture."""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from bookreader.domain.descriptions.tables import Character
from bookreader.imaging.prompts import CharacterSheet, build_prompt, prompt_hash
from bookreader.settings import Settings

APPEARANCE_CHARS = 220  # of character-bible text per character in a prompt


class Plan(msgspec.Struct):
    """What a request for one description's picture resolves to."""

    prompt: str
    negative_prompt: str
    style: str
    provider: str
    model: str | None
    width: int
    height: int
    seed: int | None
    prompt_hash: str


BIBLE_TTL = 30.0  # seconds; a book's characters change only when it is analyzed again
_BIBLES: dict[uuid.UUID, tuple[float, list[CharacterSheet]]] = {}


async def character_bible(book_id: uuid.UUID) -> list[CharacterSheet]:
    """The book's main characters with their appearance text (cached briefly: every request needs it)."""
    now = time.monotonic()
    cached = _BIBLES.get(book_id)
    if cached and cached[0] > now:
        return cached[1]
    if len(_BIBLES) > 512:
        _BIBLES.clear()
    sheets = await _load_bible(book_id)
    _BIBLES[book_id] = (now + BIBLE_TTL, sheets)
    return sheets


async def _load_bible(book_id: uuid.UUID) -> list[CharacterSheet]:
    rows = (
        await Character.select(Character.name, Character.aliases, Character.appearance)
        .output(load_json=True)
        .where(Character.book == book_id, Character.kind == "character")  # places are not drawn as people
        .order_by(Character.mention_count, ascending=False)
        .limit(50)
    )
    sheets = []
    for row in rows:
        quotes = [q.get("text", "") for q in row["appearance"] or [] if isinstance(q, dict)]
        # each sentence once, in reading order: the same canonical text as the cast panel's appearance
        appearance = " ".join(dict.fromkeys(q.strip() for q in quotes if q.strip()))[:APPEARANCE_CHARS]
        sheets.append(CharacterSheet(row["name"], appearance, list(row["aliases"] or [])))
    return sheets


def _genres(book: dict[str, Any]) -> list[str]:
    meta = book.get("metadata") if isinstance(book.get("metadata"), dict) else {}
    return [str(s) for s in (meta.get("subjects") or [])][:3]


def plan_for(
    description: dict[str, Any],
    book: dict[str, Any],
    bible: list[CharacterSheet],
    style: str,
    provider: str,
    settings: Settings,
) -> Plan:
    built = build_prompt(
        description["type"],
        description["text"],
        book_id=str(book["id"]),
        style=style,
        genres=_genres(book),
        characters=bible,
        entities=list(description.get("entities") or []),
    )
    model = (
        settings.image_model if provider == settings.image_provider and provider != "placeholder" else None
    )
    width, height = settings.image_width, settings.image_height
    return Plan(
        prompt=built.prompt,
        negative_prompt=built.negative_prompt,
        style=built.style,
        provider=provider,
        model=model,
        width=width,
        height=height,
        seed=built.seed,
        prompt_hash=prompt_hash(built.prompt, built.style, provider, width, height, model),
    )
