from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec
from arq.connections import ArqRedis
from litestar import Controller, Response, delete, get, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from bookreader.domain.accounts.tables import User
from bookreader.domain.descriptions import cast, service
from bookreader.domain.descriptions.cast import Bound
from bookreader.domain.descriptions.schemas import CharacterRead, DescriptionRead
from bookreader.domain.illustrations import portraits, versions
from bookreader.domain.illustrations.schemas import ImageRead
from bookreader.settings import Settings

DescriptionKind = Literal["location", "character", "atmosphere", "object", "action"]
UntilParam = Annotated[str | None, Parameter(max_length=20, description="CHAPTER:OFFSET (or CHAPTER)")]
RevealParam = Annotated[Literal["all"] | None, Parameter(description="`all`: ignore the reading position")]


async def provide_bound(
    user: User, book_id: uuid.UUID, until: UntilParam = None, reveal: RevealParam = None
) -> Bound:
    """How far the reader may see into the cast: `until=CHAPTER:OFFSET`, `reveal=all`, else the furthest
    position read. Every cast and portrait route takes the same two query parameters."""
    return await cast.reader_bound(user, book_id, until, reveal)


class DescriptionController(Controller):
    path = "/api/v1/books/{book_id:uuid}"
    tags = ["descriptions"]
    dependencies = {"bound": Provide(provide_bound)}

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
        self, user: User, book_id: uuid.UUID, bound: Bound
    ) -> Response[list[CharacterRead]]:
        """The cast as far as the bound: `until=CHAPTER:OFFSET`, `reveal=all`, else the furthest position read."""
        return await _cast(user, book_id, "character", bound)

    @get("/places", operation_id="listPlaces")
    async def list_places(
        self, user: User, book_id: uuid.UUID, bound: Bound
    ) -> Response[list[CharacterRead]]:
        """Recurring places, cut at the same bound as the cast."""
        return await _cast(user, book_id, "place", bound)

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
        self, user: User, book_id: uuid.UUID, character_id: uuid.UUID, bound: Bound, settings: Settings,
        queue: ArqRedis,
    ) -> Response[ImageRead]:  # fmt: skip
        image, started = await portraits.request_portrait(
            user, book_id, character_id, bound, settings=settings, queue=queue
        )
        return Response(image, status_code=HTTP_202_ACCEPTED if started else HTTP_200_OK)

    @post(
        "/characters/{character_id:uuid}/portrait/regenerate",
        operation_id="regeneratePortrait",
        status_code=HTTP_202_ACCEPTED,
        description="A new version of the portrait shown at the bound (earlier versions are kept; counts against "
        "the plan as a new picture: 402/429 `quota_exceeded`). 409 `no_portrait` before there is one.",
    )
    async def regenerate_portrait(
        self, user: User, book_id: uuid.UUID, character_id: uuid.UUID, bound: Bound, settings: Settings,
        queue: ArqRedis,
    ) -> ImageRead:  # fmt: skip
        shown = await portraits.shown_portrait_id(user, book_id, character_id, bound)
        return await versions.regenerate(user, shown, settings=settings, queue=queue)

    @get("/characters/{character_id:uuid}/portrait/versions", operation_id="listPortraitVersions")
    async def portrait_versions(
        self, user: User, book_id: uuid.UUID, character_id: uuid.UUID, bound: Bound
    ) -> list[ImageRead]:
        """Every version of the character's portrait, newest first (the bound as for the cast)."""
        return await portraits.portrait_versions(user, book_id, character_id, bound)

    @post(
        "/characters/{character_id:uuid}/portrait/pin",
        operation_id="pinPortrait",
        status_code=HTTP_200_OK,
        description="Show this version (`image_id`, one of the portrait's versions) in the cast from now on.",
    )
    async def pin_portrait(
        self, user: User, book_id: uuid.UUID, character_id: uuid.UUID, data: PortraitPin
    ) -> ImageRead:
        await portraits.check_portrait(user, book_id, character_id, data.image_id)
        return await versions.pin(user, data.image_id)

    @delete(
        "/characters/{character_id:uuid}/portrait/pin",
        operation_id="unpinPortrait",
        status_code=HTTP_200_OK,
        description="No version pinned: the cast shows the newest portrait again (returned).",
    )
    async def unpin_portrait(
        self, user: User, book_id: uuid.UUID, character_id: uuid.UUID, bound: Bound
    ) -> ImageRead:
        shown = await portraits.shown_portrait_id(user, book_id, character_id, bound)
        return await versions.unpin(user, shown)


class PortraitPin(msgspec.Struct):
    image_id: uuid.UUID


async def _cast(user: User, book_id: uuid.UUID, kind: str, bound: Bound) -> Response[list[CharacterRead]]:
    items = await cast.list_cast(user, book_id, kind, bound)
    return Response(items, headers={"X-Cast-Until": bound.label, "Cache-Control": "private, no-cache"})
