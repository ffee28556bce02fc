from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.params import Parameter

from bookreader.domain.accounts.tables import User
from bookreader.domain.descriptions import cast, service
from bookreader.domain.descriptions.schemas import CharacterRead, DescriptionRead

DescriptionKind = Literal["location", "character", "atmosphere", "object", "action"]


class DescriptionController(Controller):
    path = "/api/v1/books/{book_id:uuid}"
    tags = ["descriptions"]

    @get("/descriptions", operation_id="listDescriptions")
    async def list_descriptions(
        self,
        user: User,
        book_id: uuid.UUID,
        type: DescriptionKind | None = None,
        chapter: Annotated[int | None, Parameter(ge=1, le=1_000_000)] = None,
    ) -> list[DescriptionRead]:
        return await service.list_descriptions(user, book_id, kind=type, chapter=chapter)

    @get("/characters", operation_id="listCharacters")
    async def list_characters(
        self, user: User, book_id: uuid.UUID, until: UntilParam = None, reveal: RevealParam = None
    ) -> Response[list[CharacterRead]]:
        """The cast as far as the bound: `until=CHAPTER:OFFSET`, `reveal=all`, else the furthest position read."""
        return await _cast(user, book_id, "character", until, reveal)

    @get("/places", operation_id="listPlaces")
    async def list_places(
        self, user: User, book_id: uuid.UUID, until: UntilParam = None, reveal: RevealParam = None
    ) -> Response[list[CharacterRead]]:
        """Recurring places, cut at the same bound as the cast."""
        return await _cast(user, book_id, "place", until, reveal)


UntilParam = Annotated[str | None, Parameter(max_length=20, description="CHAPTER:OFFSET (or CHAPTER)")]
RevealParam = Annotated[Literal["all"] | None, Parameter(description="`all`: ignore the reading position")]


async def _cast(
    user: User, book_id: uuid.UUID, kind: str, until: str | None, reveal: str | None
) -> Response[list[CharacterRead]]:
    bound = await cast.reader_bound(user, book_id, until, reveal)
    items = await cast.list_cast(user, book_id, kind, bound)
    return Response(items, headers={"X-Cast-Until": bound.label, "Cache-Control": "private, no-cache"})
