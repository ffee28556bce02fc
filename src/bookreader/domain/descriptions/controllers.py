from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import Parameter

from bookreader.domain.accounts.deps import provide_user
from bookreader.domain.accounts.tables import User
from bookreader.domain.descriptions import service
from bookreader.domain.descriptions.schemas import CharacterRead, DescriptionRead

DescriptionKind = Literal["location", "character", "atmosphere", "object", "action"]


class DescriptionController(Controller):
    path = "/api/v1/books/{book_id:uuid}"
    tags = ["descriptions"]
    dependencies = {"user": Provide(provide_user)}

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
    async def list_characters(self, user: User, book_id: uuid.UUID) -> list[CharacterRead]:
        return await service.list_characters(user, book_id)
