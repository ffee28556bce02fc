"""From a description to a provider prompt: framing by type, character consistency, style, length cap."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import msgspec

MAX_PROMPT_CHARS = 900


class StylePreset(msgspec.Struct, frozen=True):
    suffix: str
    negative: str


_COMMON_NEGATIVE = "text, watermark, signature, logo, lowres, blurry, deformed, extra fingers, bad anatomy"

STYLES: dict[str, StylePreset] = {
    "watercolor": StylePreset(
        "watercolor book illustration, soft washes, paper texture, delicate linework",
        f"{_COMMON_NEGATIVE}, photo, 3d render",
    ),
    "ink": StylePreset(
        "pen and ink illustration, cross-hatching, black and white, classic book engraving style",
        f"{_COMMON_NEGATIVE}, color, photo, 3d render",
    ),
    "oil": StylePreset(
        "oil painting, rich impasto brushwork, dramatic chiaroscuro, museum quality",
        f"{_COMMON_NEGATIVE}, photo, cartoon, flat colors",
    ),
    "realistic": StylePreset(
        "photorealistic, cinematic lighting, 35mm film still, highly detailed",
        f"{_COMMON_NEGATIVE}, cartoon, painting, illustration, anime",
    ),
    "anime": StylePreset(
        "anime style illustration, cel shading, vibrant colors, detailed background art",
        f"{_COMMON_NEGATIVE}, photo, realistic, 3d render",
    ),
    "pencil": StylePreset(
        "graphite pencil sketch, fine shading, sketchbook page",
        f"{_COMMON_NEGATIVE}, color, photo",
    ),
    "fantasy": StylePreset(
        "epic fantasy art, detailed digital painting, atmospheric, book cover quality",
        f"{_COMMON_NEGATIVE}, photo, modern objects",
    ),
    "noir": StylePreset(
        "film noir illustration, high contrast, deep shadows, moody monochrome",
        f"{_COMMON_NEGATIVE}, bright colors, cheerful",
    ),
}
DEFAULT_STYLE = "watercolor"

# How each description type is framed as a picture.
FRAMING: dict[str, str] = {
    "location": "Wide establishing shot of a place:",
    "character": "Character portrait:",
    "atmosphere": "Moody atmospheric scene:",
    "object": "Close-up still life of an object:",
    "action": "Dynamic action scene:",
}


class CharacterSheet(msgspec.Struct, frozen=True):
    """One entry of the book's character bible."""

    name: str
    appearance: str  # short visual description, e.g. "tall woman, red hair, green cloak"
    aliases: list[str] = []
    id: str = ""  # the character's id: its seed is keyed by it (the name when empty)
    # where each appearance sentence is, (chapter, end offset, text) in reading order: `as_of` cuts by them
    quotes: tuple[tuple[int, int, str], ...] = ()


APPEARANCE_CHARS = 220  # of character-bible text per character in a prompt


def appearance_text(quotes: Sequence[str]) -> str:
    """The canonical appearance text: each sentence once, in reading order, cut to `APPEARANCE_CHARS`."""
    return " ".join(dict.fromkeys(q.strip() for q in quotes if q.strip()))[:APPEARANCE_CHARS]


def as_of(sheets: Sequence[CharacterSheet], chapter: int, end: int | None) -> list[CharacterSheet]:
    """The bible as a reader of the passage ending at (`chapter`, `end`) knows it: appearance text from the
    sentences ending there or before only, so that a picture (and its prompt, shown to the reader as "why this
    picture") never carries what the book tells of a character later. `end=None` bounds by chapter."""
    bounded = []
    for sheet in sheets:
        if not sheet.quotes:
            bounded.append(sheet)
            continue
        seen = [
            text for q_chapter, q_end, text in sheet.quotes if (q_chapter, q_end) <= (chapter, end or 2**31)
        ]
        bounded.append(msgspec.structs.replace(sheet, appearance=appearance_text(seen)))
    return bounded


class BuiltPrompt(msgspec.Struct, frozen=True):
    prompt: str
    negative_prompt: str
    style: str
    seed: int | None  # stable per (book, main character, style), so the same person looks alike
    characters: list[str] = []
    character_ids: list[str] = []  # of `characters`, as the bible names them ("" when it has no id)


def style_preset(style: str | None) -> tuple[str, StylePreset]:
    name = style if style in STYLES else DEFAULT_STYLE
    return name, STYLES[name]


def cap_at_word(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:-—")


def stable_seed(book_id: str, character_key: str, style: str = "", variant: int = 0) -> int:
    """The seed of every picture of one character in one book and style: the same face each time.
    `variant` > 0 is a regenerated version (another seed, just as reproducible)."""
    key = f"{book_id}\n{character_key.casefold()}\n{style}" + (f"\n{variant}" if variant else "")
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def sheet_seed(book_id: str, sheet: CharacterSheet, style: str, variant: int = 0) -> int:
    return stable_seed(book_id, sheet.id or sheet.name, style, variant)


def _name_pattern(name: str) -> re.Pattern[str]:
    """Whole-word match; Russian names inflect (Анна → Анну, Анной), so allow a short changed ending."""
    folded = name.casefold()
    if folded.isascii():
        return re.compile(rf"(?<!\w){re.escape(folded)}(?!\w)")
    stem = folded[:-1] if len(folded) > 3 and folded[-1] in "аяйьоеы" else folded
    return re.compile(rf"(?<!\w){re.escape(stem)}\w{{0,3}}(?!\w)")


def mentioned_characters(
    text: str, bible: Sequence[CharacterSheet], entities: Sequence[str] = ()
) -> list[CharacterSheet]:
    """Characters of the bible that the text names (or the analyzer linked), in order of appearance."""
    folded = text.casefold()
    linked = {e.casefold() for e in entities}
    found: list[tuple[int, CharacterSheet]] = []
    for sheet in bible:
        names = [sheet.name, *sheet.aliases]
        positions = [m.start() for name in names if name for m in [_name_pattern(name).search(folded)] if m]
        if positions or sheet.name.casefold() in linked:
            found.append((min(positions, default=len(folded)), sheet))
    return [sheet for _, sheet in sorted(found, key=lambda item: item[0])]


def compose(body: str, style: str | None, max_chars: int = MAX_PROMPT_CHARS) -> tuple[str, str, str]:
    """body + style suffix, capped so the suffix always survives. Returns (prompt, negative, style)."""
    name, preset = style_preset(style)
    room = max(80, max_chars - len(preset.suffix) - 2)
    return f"{cap_at_word(body, room)}. {preset.suffix}", preset.negative, name


def build_prompt(
    kind: str,
    text: str,
    *,
    book_id: str = "",
    style: str | None = None,
    genres: Sequence[str] = (),
    characters: Sequence[CharacterSheet] = (),
    entities: Sequence[str] = (),
    max_chars: int = MAX_PROMPT_CHARS,
    focus: CharacterSheet | None = None,
    variant: int = 0,
) -> BuiltPrompt:
    """`focus`: the character a portrait is of (first, and the seed's); `variant`: a regenerated version."""
    present = mentioned_characters(text, list(characters), list(entities))
    if focus is not None:
        present = [focus, *(c for c in present if c.name != focus.name)]
    present = present[:3]
    parts: list[str] = []
    if present:
        parts.append("; ".join(f"{c.name}: {c.appearance}" for c in present if c.appearance))
    parts.append(f"{FRAMING.get(kind, 'Book illustration:')} {text}")
    if genres:
        parts.append(f"Setting of a {', '.join(list(genres)[:3])} story")
    prompt, negative, style_name = compose(
        ". ".join(p.strip().rstrip(".") for p in parts if p), style, max_chars
    )
    if present:
        seed: int | None = sheet_seed(book_id, present[0], style_name, variant)
    else:  # nobody known: only a regenerated version needs a seed of its own (another picture)
        seed = stable_seed(book_id, text, style_name, variant) if variant else None
    return BuiltPrompt(prompt, negative, style_name, seed, [c.name for c in present], [c.id for c in present])


def prompt_hash(
    prompt: str,
    style: str,
    provider: str,
    width: int,
    height: int,
    model: str | None,
    *,
    variant: int = 0,
    seed: int | None = None,
    reference: str | None = None,
) -> str:
    """Cache key: the same picture request made by anyone yields the same stored file. A regenerated
    version (its seed) and a reference picture (its content hash) are part of what is asked for."""
    parts = [prompt, style, provider, str(width), str(height), model or ""]
    if variant:
        parts += [f"variant={variant}", f"seed={seed}"]
    if reference:
        parts.append(f"reference={reference}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
