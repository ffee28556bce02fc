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


class Position(msgspec.Struct):
    chapter: int
    offset: int


class Relation(msgspec.Struct):
    """Another character named near this one (`count`: how often, in the text before the bound)."""

    id: uuid.UUID
    name: str
    count: int


class PortraitRead(msgspec.Struct):
    """The character's portrait as shown: the owner's picture of them drawn from a passage read so far."""

    image_id: uuid.UUID
    description_id: uuid.UUID
    status: str
    url: str | None = None
    prompt: str = ""
    pinned: bool = False  # the reader chose this version (else it is the newest)
    version: int = 1


class CharacterRead(msgspec.Struct):
    """A character (or, from /places, a recurring place) as far as the bound reveals it."""

    id: uuid.UUID
    name: str
    aliases: list[str]
    mention_count: int
    first_chapter: int
    appearance: list[AppearanceQuote]
    kind: str = "character"  # character | place
    first_seen: Position | None = None  # where the first mention is (chapter, offset of the name)
    appearance_text: str = ""  # short appearance text built from the quotes
    relations: list[Relation] = []
    portrait: PortraitRead | None = None


class ReanalysisQueued(msgspec.Struct):
    books: int  # books selected
    queued: int  # jobs added (a book already queued for the same version is not added twice)
    model_version: str  # the version(s) they will be analysed by
    book_ids: list[uuid.UUID] = []
