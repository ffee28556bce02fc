"""The cast and places a reader may see: computed from the mentions at or before a bound.

The analysis stores every mention (alias, chapter, offset of the name) of each character and place. A
request names a bound (`?until=CHAPTER:OFFSET`, `?reveal=all`, or by default the reader's furthest position,
from the reading domain) and every field is computed from what lies at or before it (a name counts
when it ends there): a character first named
later is absent; the name shown is the best name seen so far; aliases, counts, first appearance, quotes (a
quote counts when its sentence ends at or before the bound), the appearance text and the relations
(characters named within a few sentences of each other) only from earlier text.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from bookreader.core.errors import Conflict, InvalidInput, NotFound
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.service import get_book
from bookreader.domain.descriptions.schemas import (
    AppearanceQuote,
    CharacterRead,
    PortraitRead,
    Position,
    Relation,
)
from bookreader.domain.descriptions.tables import Character, CharacterMention, Description
from bookreader.domain.illustrations.files import file_url
from bookreader.domain.reading.service import furthest_position

APPEARANCE_CHARS = 220  # the short appearance text (the same length pictures' prompts use)
NEAR_CHARS = 300  # two names this close in a chapter are in one scene
MAX_RELATIONS = 5
END = 2**31 - 1
_BOUND = re.compile(r"^(\d{1,7})(?::(\d{1,10}))?$")
_POSITION_KEY = 1_000_000_000_000  # chapter * key + offset orders positions in one bigint


@dataclass(frozen=True)
class Bound:
    chapter: int
    offset: int

    @property
    def label(self) -> str:
        return "all" if self.chapter >= END else f"{self.chapter}:{self.offset}"

    def params(self, times: int) -> tuple[int, ...]:
        """(chapter, offset) repeated for the positional placeholders of a query."""
        return (self.chapter, self.offset) * times

    def covers(self, chapter: int, offset: int) -> bool:
        return (chapter, offset) <= (self.chapter, self.offset)


EVERYTHING = Bound(END, END)
NOTHING = Bound(0, 0)


def parse_bound(until: str | None) -> Bound | None:
    """`CHAPTER:OFFSET` → that position; `CHAPTER` → the end of that chapter; None → not given."""
    if until is None:
        return None
    match = _BOUND.match(until.strip())
    if match is None:
        raise InvalidInput("`until` must be CHAPTER:OFFSET, e.g. 3:1200.", code="invalid_bound")
    chapter, offset = int(match.group(1)), match.group(2)
    return Bound(chapter, min(int(offset), END) if offset is not None else END)


async def reader_bound(user: User, book_id: uuid.UUID, until: str | None, reveal: str | None) -> Bound:
    if reveal == "all":
        return EVERYTHING
    explicit = parse_bound(until)
    if explicit is not None:
        return explicit
    furthest = await furthest_position(user.id, book_id)
    return Bound(*furthest) if furthest else NOTHING  # a book not opened yet has no cast yet


SEEN = """
SELECT character AS id, alias, count(*)::int AS n, min(chapter::bigint * {} + char_offset) AS first
FROM character_mentions
WHERE book = {} AND (chapter, char_offset) <= ({}, {}) AND (chapter < {} OR char_offset + length(alias) <= {})
GROUP BY character, alias
"""

NEAR = """
SELECT a.character AS a, b.character AS b, count(*)::int AS n
FROM character_mentions a
JOIN character_mentions b ON b.book = a.book AND b.chapter = a.chapter
    AND b.char_offset BETWEEN a.char_offset - {} AND a.char_offset + {} AND b.character <> a.character
WHERE a.book = {} AND (a.chapter, a.char_offset) <= ({}, {})
    AND (a.chapter < {} OR a.char_offset + length(a.alias) <= {})
    AND (b.chapter < {} OR b.char_offset + length(b.alias) <= {})
GROUP BY a.character, b.character
"""


async def list_cast(user: User, book_id: uuid.UUID, kind: str, bound: Bound) -> list[CharacterRead]:
    book = await get_book(user, book_id)
    rows = (
        await Character.select(Character.id, Character.name, Character.appearance)
        .output(load_json=True)
        .where(Character.book == book.id, Character.kind == kind)
    )
    if not rows:
        return []
    seen: dict[uuid.UUID, dict[str, tuple[int, int]]] = {}
    args = (_POSITION_KEY, book.id, *bound.params(2))
    for row in await CharacterMention.raw(SEEN, *args):
        seen.setdefault(row["id"], {})[row["alias"]] = (row["n"], row["first"])
    names = {row["id"]: row for row in rows if row["id"] in seen}
    cast = [_read(row, seen[cid], bound, kind) for cid, row in names.items()]
    if kind == "character" and cast:
        await _add_relations(book.id, bound, cast)
        await _add_portraits(user, bound, cast)
    cast.sort(key=lambda c: (-c.mention_count, c.name))
    return cast


def _read(row: dict, aliases: dict[str, tuple[int, int]], bound: Bound, kind: str) -> CharacterRead:
    canonical = row["name"]
    name = canonical if canonical in aliases else max(aliases, key=lambda a: (aliases[a][0], len(a), a))
    first = min(f for _, f in aliases.values())
    quotes = [
        AppearanceQuote(q["chapter"], q["start"], q["end"], q["text"])
        for q in row["appearance"] or []
        if bound.covers(q["chapter"], q["end"])
    ]
    text = " ".join(dict.fromkeys(q.text.strip() for q in quotes if q.text.strip()))  # each sentence once
    return CharacterRead(
        id=row["id"],
        name=name,
        aliases=sorted(a for a in aliases if a != name),
        mention_count=sum(n for n, _ in aliases.values()),
        first_chapter=first // _POSITION_KEY,
        appearance=quotes,
        kind=kind,
        first_seen=Position(first // _POSITION_KEY, first % _POSITION_KEY),
        appearance_text=_cap(text, APPEARANCE_CHARS),
    )


async def _add_relations(book_id: uuid.UUID, bound: Bound, cast: list[CharacterRead]) -> None:
    """Who appears with whom (names within NEAR_CHARS of each other), counted only in text before the bound."""
    by_id = {c.id: c for c in cast}
    pairs: dict[uuid.UUID, list[tuple[int, uuid.UUID]]] = {}
    args = (NEAR_CHARS, NEAR_CHARS, book_id, *bound.params(3))
    for row in await CharacterMention.raw(NEAR, *args):
        if row["a"] in by_id and row["b"] in by_id:
            pairs.setdefault(row["a"], []).append((row["n"], row["b"]))
    for cid, others in pairs.items():
        others.sort(key=lambda item: (-item[0], by_id[item[1]].name))
        by_id[cid].relations = [
            Relation(id=other, name=by_id[other].name, count=n) for n, other in others[:MAX_RELATIONS]
        ]


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ;,") + "…"


# The passage a portrait is made from: the first "character" description naming them (about them alone if one
# is), at or before the bound.
PORTRAIT_PASSAGES = """
SELECT DISTINCT ON (name) name, d.id, d.chapter, d."end"
FROM descriptions d, jsonb_array_elements_text(d.entities) AS name
WHERE d.book = {} AND d.type = 'character' AND name = ANY({}::text[]) AND (d.chapter, d."end") <= ({}, {})
ORDER BY name, jsonb_array_length(d.entities), d.chapter, d.start
"""

# The passage each character is first described in (for portraits made ahead: shown from there on).
FIRST_PASSAGES = """
SELECT DISTINCT ON (name) name, d.id
FROM descriptions d, jsonb_array_elements_text(d.entities) AS name
WHERE d.book = {} AND d.type = 'character' AND name = ANY({}::text[])
ORDER BY name, d.chapter, d.start
"""

# A character's portrait as a reader sees it: among their portraits drawn from passages at or before the bound,
# the pinned one, else the newest that has not failed (else the newest).
SHOWN_PORTRAITS = """
SELECT DISTINCT ON (i.character) i.id, i.character, i.description, i.status, i.prompt, i.pinned, i.variant,
       f.content_hash
FROM images i JOIN descriptions d ON d.id = i.description LEFT JOIN image_files f ON f.id = i.file
WHERE i.owner = {} AND i.character = ANY({}::uuid[]) AND (d.chapter, d."end") <= ({}, {})
ORDER BY i.character, i.pinned DESC, i.status = 'failed', i.variant DESC
"""


async def shown_portraits(owner: uuid.UUID, ids: list[uuid.UUID], bound: Bound) -> dict[uuid.UUID, dict]:
    rows = await Description.raw(SHOWN_PORTRAITS, owner, ids, *bound.params(1)) if ids else []
    return {row["character"]: row for row in rows}


async def first_passages(book_id: uuid.UUID, names: list[str]) -> dict[str, uuid.UUID]:
    """Name → the first passage describing them (the one a portrait made ahead is drawn from)."""
    return (
        {r["name"]: r["id"] for r in await Description.raw(FIRST_PASSAGES, book_id, names)} if names else {}
    )


async def portrait_passage_of(
    user: User, book_id: uuid.UUID, character_id: uuid.UUID, bound: Bound
) -> uuid.UUID:
    """The description a character's portrait is made from; 404 unknown character, 409 none read yet."""
    book = await get_book(user, book_id)
    row = (
        await Character.select(Character.name)
        .where(Character.id == character_id, Character.book == book.id)
        .first()
    )
    if row is None:
        raise NotFound("No such character.", code="character_not_found")
    rows = await Description.raw(PORTRAIT_PASSAGES, book.id, [row["name"]], *bound.params(1))
    if not rows:
        raise Conflict("Nothing read so far describes this character.", code="no_appearance")
    return rows[0]["id"]


async def _add_portraits(user: User, bound: Bound, cast: list[CharacterRead]) -> None:
    """A character's portrait: the reader's picture of them drawn from a passage read so far (pinned, else
    the newest version)."""
    shown = await shown_portraits(user.id, [c.id for c in cast], bound)
    for character in cast:
        image = shown.get(character.id)
        if image is not None:
            url = file_url(image["content_hash"]) if image["content_hash"] else None
            character.portrait = PortraitRead(
                image_id=image["id"], description_id=image["description"], status=image["status"],
                url=url if image["status"] == "ready" else None, prompt=image["prompt"] or "",
                pinned=image["pinned"], version=image["variant"] + 1,
            )  # fmt: skip
