from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

ImageStatus = Literal["queued", "generating", "ready", "failed"]
StyleName = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")]


class ImageError(msgspec.Struct):
    code: str
    message: str


class ImageRead(msgspec.Struct):
    id: uuid.UUID
    description_id: uuid.UUID
    book_id: uuid.UUID
    chapter: int
    status: ImageStatus
    url: str | None  # serves the file when `ready`
    thumbnail_url: str | None
    prompt: str
    provider: str
    style: str
    error: ImageError | None
    created_at: datetime
    updated_at: datetime
    media_type: str | None = None
    width: int | None = None
    height: int | None = None
    # versions (issue 14): regenerations of one picture are numbered 1, 2, …; the pinned one (else the
    # newest) is the one the reader, the cast and the export show
    version: int = 1
    pinned: bool = False
    seed: int | None = None  # what the picture was drawn with (providers that take a seed)
    character_id: uuid.UUID | None = None  # set on a character's portrait
    reference_url: str | None = None  # the portrait this picture was drawn from (reference-taking providers)


class StyleUpdate(msgspec.Struct):
    style: StyleName | None  # null → back to the default


class StyleRead(msgspec.Struct):
    style: str  # the effective preset
    source: Literal["book", "user", "default"]


class StylePresetRead(msgspec.Struct):
    name: str
    suffix: str
