from __future__ import annotations

import uuid
from typing import Literal

from arq.connections import ArqRedis
from litestar import Controller, MediaType, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import File
from litestar.status_codes import HTTP_202_ACCEPTED

from bookreader.core.storage import Storage
from bookreader.domain.accounts.tables import User
from bookreader.domain.exports import service
from bookreader.domain.exports.schemas import ExportStatus

EPUB = "application/epub+zip"


class ExportController(Controller):
    path = "/api/v1/books"
    tags = ["exports"]

    @get(
        "/{book_id:uuid}/export.epub",
        operation_id="exportBook",
        media_type=EPUB,
        responses={
            202: ResponseSpec(data_container=ExportStatus, description="Being built: ask again later")
        },
        summary="The illustrated EPUB 3 of a book",
        description=(
            "200 with the file when it is built and current (the book's ready pictures have not changed "
            "since); otherwise 202 `{status: building, progress}` and the build starts (once, however often "
            "asked). Progress arrives on the WebSocket as `export.status`; webhooks get `export.ready`. "
            "`variant=cast` adds a cast appendix limited to what the reader has read."
        ),
    )
    async def export(
        self,
        user: User,
        book_id: uuid.UUID,
        storage: Storage,
        queue: ArqRedis,
        variant: Literal["plain", "cast"] = "plain",
    ) -> Response:
        result = await service.request_export(user, book_id, variant, storage=storage, queue=queue)
        if isinstance(result, ExportStatus):
            headers = {"Cache-Control": "no-store", "Retry-After": "2"}
            return Response(result, status_code=HTTP_202_ACCEPTED, media_type=MediaType.JSON, headers=headers)
        return File(path=result.path, filename=result.filename, media_type=EPUB,
                    headers={"Cache-Control": "private, no-cache"})  # fmt: skip
