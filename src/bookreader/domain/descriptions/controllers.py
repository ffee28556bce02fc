from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from bookreader.domain.accounts.tables import User
from bookreader.domain.descriptions import cast, service
from bookreader.domain.descriptions.schemas import CharacterRead, DescriptionRead
from bookreader.domain.illustrations import requesting
from bookreader.domain.illustrations.schemas import ImageRead

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

    @post(
        "/characters/{character_id:uuid}/portrait",
        operation_id="requestPortrait",
        status_code=HTTP_202_ACCEPTED,
        description="The character's portrait: the picture of the first passage describing them, at or before "
        "the reader's bound (same `until`/`reveal` as the cast), through the image pipeline (counts against the "
        "plan). 202 queued, 200 when an up-to-date one exists; 409 `no_appearance` when nothing read describes "
        "them yet.",
    )
    async def request_portrait(
        self,
        request: Request,
        user: User,
        book_id: uuid.UUID,
        character_id: uuid.UUID,
        until: UntilParam = None,
        reveal: RevealParam = None,
    ) -> Response[ImageRead]:
        bound = await cast.reader_bound(user, book_id, until, reveal)
        passage = await cast.portrait_passage_of(user, book_id, character_id, bound)
        state = request.app.state
        image, started = await requesting.request_image(
            user, passage, settings=state.settings, queue=state.queue
        )
        return Response(image, status_code=HTTP_202_ACCEPTED if started else HTTP_200_OK)


UntilParam = Annotated[str | None, Parameter(max_length=20, description="CHAPTER:OFFSET (or CHAPTER)")]
RevealParam = Annotated[Literal["all"] | None, Parameter(description="`all`: ignore the reading position")]


async def _cast(
    user: User, book_id: uuid.UUID, kind: str, until: str | None, reveal: str | None
) -> Response[list[CharacterRead]]:
    bound = await cast.reader_bound(user, book_id, until, reveal)
    items = await cast.list_cast(user, book_id, kind, bound)
    return Response(items, headers={"X-Cast-Until": bound.label, "Cache-Control": "private, no-cache"})
