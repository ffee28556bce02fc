"""A description → the prompt, style, provider and cache key of its picture."""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from bookreader.domain.descriptions.tables import Character
from bookreader.domain.illustrations.tables import Image
from bookreader.imaging.prompts import CharacterSheet, appearance_text, as_of, build_prompt, prompt_hash
from bookreader.imaging.providers import REFERENCE_PROVIDERS
from bookreader.settings import Settings


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
    variant: int = 0
    portrait_of: uuid.UUID | None = None  # a portrait's character
    character: uuid.UUID | None = None  # the main character drawn (its seed), portrait or scene
    reference_hash: str | None = None  # the portrait a reference-taking provider draws this scene from


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
        await Character.select(Character.id, Character.name, Character.aliases, Character.appearance)
        .output(load_json=True)
        .where(Character.book == book_id, Character.kind == "character")  # places are not drawn as people
        .order_by(Character.mention_count, ascending=False)
        .limit(50)
    )
    sheets = []
    for row in rows:
        quotes = tuple(
            (int(q.get("chapter", 0)), int(q.get("end", 0)), str(q.get("text", "")))
            for q in row["appearance"] or []
            if isinstance(q, dict)
        )
        # each sentence once, in reading order: the same canonical text as the cast panel's appearance
        appearance = appearance_text([text for _, _, text in quotes])
        sheets.append(
            CharacterSheet(
                row["name"], appearance, list(row["aliases"] or []), id=str(row["id"]), quotes=quotes
            )
        )
    return sheets


def _genres(book: dict[str, Any]) -> list[str]:
    meta = book.get("metadata") if isinstance(book.get("metadata"), dict) else {}
    return [str(s) for s in (meta.get("subjects") or [])][:3]


async def portrait_reference(owner: uuid.UUID, character_id: uuid.UUID) -> str | None:
    """Content hash of the owner's portrait of a character as shown (pinned, else the newest ready one)."""
    row = (
        await Image.select(Image.file.content_hash.as_alias("content_hash"))
        .where(Image.owner == owner, Image.character == character_id, Image.status == "ready")
        .order_by(Image.pinned, ascending=False)
        .order_by(Image.variant, ascending=False)
        .first()
    )
    return row["content_hash"] if row else None


async def plan_for(
    description: dict[str, Any],
    book: dict[str, Any],
    bible: list[CharacterSheet],
    style: str,
    provider: str,
    settings: Settings,
    *,
    portrait_of: uuid.UUID | None = None,
    variant: int = 0,
) -> Plan:
    """The picture of `description` (or, with `portrait_of`, that character's portrait drawn from it): the
    prompt with the cast's canonical appearance text, the seed of its main character in this book and style,
    and for a scene with a portrayed character and a provider that takes a reference, that portrait."""
    bible = as_of(bible, description["chapter"], description.get("end"))  # nothing the passage's reader lacks
    focus = next((c for c in bible if c.id == str(portrait_of)), None) if portrait_of else None
    built = build_prompt(
        description["type"],
        description["text"],
        book_id=str(book["id"]),
        style=style,
        genres=_genres(book),
        characters=bible,
        entities=list(description.get("entities") or []),
        focus=focus,
        variant=variant,
    )
    main = uuid.UUID(built.character_ids[0]) if built.character_ids and built.character_ids[0] else None
    reference = None
    if portrait_of is None and main is not None and provider in REFERENCE_PROVIDERS:
        reference = await portrait_reference(book["owner"], main)
    model = (
        settings.image_model if provider == settings.image_provider and provider != "placeholder" else None
    )
    width, height = settings.image_width, settings.image_height
    digest = prompt_hash(
        built.prompt, built.style, provider, width, height, model,
        variant=variant, seed=built.seed, reference=reference,
    )  # fmt: skip
    return Plan(
        prompt=built.prompt, negative_prompt=built.negative_prompt, style=built.style, provider=provider,
        model=model, width=width, height=height, seed=built.seed, prompt_hash=digest, variant=variant,
        portrait_of=portrait_of, character=main, reference_hash=reference,
    )  # fmt: skip
