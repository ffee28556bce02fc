from __future__ import annotations

import uuid
from typing import Annotated

from arq.connections import ArqRedis
from litestar import Controller, Response, delete, get, post, put
from litestar.params import Parameter
from litestar.response import File
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.illustrations import requesting, service, styles, versions
from bookreader.domain.illustrations.files import IMMUTABLE_PRIVATE
from bookreader.domain.illustrations.schemas import ImageRead, StylePresetRead, StyleRead, StyleUpdate
from bookreader.imaging.prompts import STYLES
from bookreader.settings import Settings

ContentHash = Annotated[str, Parameter(pattern=r"^[0-9a-f]{64}$")]


class DescriptionImageController(Controller):
    path = "/api/v1/descriptions"
    tags = ["images"]

    @post(
        "/{description_id:uuid}/image",
        operation_id="requestImage",
        status_code=HTTP_202_ACCEPTED,
        description="202 with the queued image; 200 with the existing one when it is already up to date. "
        "402/429 with code `quota_exceeded` over the plan's monthly allowance or the per-minute rate.",
    )
    async def request_image(
        self, user: User, description_id: uuid.UUID, settings: Settings, queue: ArqRedis
    ) -> Response[ImageRead]:
        image, started = await requesting.request_image(user, description_id, settings=settings, queue=queue)
        return Response(image, status_code=HTTP_202_ACCEPTED if started else HTTP_200_OK)


class BookImageController(Controller):
    path = "/api/v1/books/{book_id:uuid}"
    tags = ["images"]

    @get("/images", operation_id="listBookImages")
    async def list_images(
        self,
        user: User,
        book_id: uuid.UUID,
        chapter: Annotated[int | None, Parameter(ge=1, le=1_000_000)] = None,
    ) -> list[ImageRead]:
        return await service.list_book_images(user, book_id, chapter)

    @get("/image-style", operation_id="getBookImageStyle")
    async def get_style(self, user: User, book_id: uuid.UUID, settings: Settings) -> StyleRead:
        return await styles.book_style(user, book_id, settings)

    @put("/image-style", operation_id="setBookImageStyle", status_code=HTTP_200_OK)
    async def set_style(
        self, user: User, book_id: uuid.UUID, data: StyleUpdate, settings: Settings
    ) -> StyleRead:
        return await styles.set_style(user, book_id, data.style, settings)


class ImageController(Controller):
    path = "/api/v1/images"
    tags = ["images"]

    @get("/{image_id:uuid}", operation_id="getImage")
    async def get_image(self, user: User, image_id: uuid.UUID) -> ImageRead:
        return await service.get_image(user, image_id)

    @get("/{image_id:uuid}/versions", operation_id="listImageVersions")
    async def list_versions(self, user: User, image_id: uuid.UUID) -> list[ImageRead]:
        """Every version of the picture (a scene or a portrait) this image is one of, newest first."""
        return await versions.versions(user, image_id)

    @post(
        "/{image_id:uuid}/regenerate",
        operation_id="regenerateImage",
        status_code=HTTP_202_ACCEPTED,
        description="202 with a new version of the picture (same passage, the next version's seed, the "
        "reader's current style); earlier versions are kept. Counts against the plan as a new picture: "
        "402/429 `quota_exceeded`.",
    )
    async def regenerate(
        self, user: User, image_id: uuid.UUID, settings: Settings, queue: ArqRedis
    ) -> ImageRead:
        return await versions.regenerate(user, image_id, settings=settings, queue=queue)

    @post(
        "/{image_id:uuid}/pin",
        operation_id="pinImage",
        status_code=HTTP_200_OK,
        description="Show this version of its picture (in the reader, the cast and the EPUB export) instead "
        "of the newest; 409 `image_not_ready` unless it is ready.",
    )
    async def pin(self, user: User, image_id: uuid.UUID) -> ImageRead:
        return await versions.pin(user, image_id)

    @delete(
        "/{image_id:uuid}/pin",
        operation_id="unpinImage",
        status_code=HTTP_200_OK,
        description="No version of the picture pinned: the newest is shown again (returned).",
    )
    async def unpin(self, user: User, image_id: uuid.UUID) -> ImageRead:
        return await versions.unpin(user, image_id)


class ImageFileController(Controller):
    """The pictures themselves. URLs are content hashes, so they are cached forever; only users owning a
    book that uses a picture can fetch it (others get 404)."""

    path = "/api/v1/image-files"
    tags = ["images"]

    async def _file(self, user: User, storage: Storage, content_hash: str, thumbnail: bool) -> File:
        path, media_type = await service.file_for(user, storage, content_hash, thumbnail=thumbnail)
        headers = {
            "Cache-Control": IMMUTABLE_PRIVATE,
            "ETag": f'"{content_hash}{"-t" if thumbnail else ""}"',
        }
        return File(path=path, media_type=media_type, headers=headers, content_disposition_type="inline")

    @get("/{content_hash:str}", operation_id="getImageFile")
    async def original(self, user: User, storage: Storage, content_hash: ContentHash) -> File:
        return await self._file(user, storage, content_hash, thumbnail=False)

    @get("/{content_hash:str}/thumbnail", operation_id="getImageThumbnail")
    async def thumbnail(self, user: User, storage: Storage, content_hash: ContentHash) -> File:
        return await self._file(user, storage, content_hash, thumbnail=True)


class ImagePreferencesController(Controller):
    """A reader's default style preset for all their books; `/books/{id}/image-style` overrides it."""

    path = "/api/v1/users/me/preferences"
    tags = ["images"]

    @get("/image-style", operation_id="getImageStyle")
    async def get_style(self, user: User, settings: Settings) -> StyleRead:
        return await styles.effective_style(user.id, None, settings)

    @put("/image-style", operation_id="setImageStyle", status_code=HTTP_200_OK)
    async def set_style(self, user: User, data: StyleUpdate, settings: Settings) -> StyleRead:
        return await styles.set_style(user, None, data.style, settings)


@get("/api/v1/image-styles", operation_id="listImageStyles", tags=["images"])
async def list_styles() -> list[StylePresetRead]:
    return [StylePresetRead(name, preset.suffix) for name, preset in STYLES.items()]


ROUTES = [
    DescriptionImageController,
    BookImageController,
    ImageController,
    ImageFileController,
    ImagePreferencesController,
    list_styles,
]
