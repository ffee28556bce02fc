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


class StyleUpdate(msgspec.Struct):
    style: StyleName | None  # null → back to the default


class StyleRead(msgspec.Struct):
    style: str  # the effective preset
    source: Literal["book", "user", "default"]


class StylePresetRead(msgspec.Struct):
    name: str
    suffix: str
