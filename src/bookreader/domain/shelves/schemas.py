from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from bookreader.domain.books.library import LibraryFilter

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ShelfCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    kind: Literal["manual", "smart"] = "manual"
    filter: LibraryFilter | None = None  # required for smart shelves


class ShelfUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    filter: LibraryFilter | None = None
    position: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None


class ShelfRead(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: str
    filter: LibraryFilter | None
    position: int
    book_count: int
    created_at: datetime


class ShelfAdd(msgspec.Struct, forbid_unknown_fields=True):
    position: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None  # default: at the end


class ShelfOrder(msgspec.Struct, forbid_unknown_fields=True):
    book_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=10_000)]
