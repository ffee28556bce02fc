from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import get
from litestar.params import Parameter

from bookreader.domain.accounts.tables import User
from bookreader.domain.search import service
from bookreader.domain.search.schemas import SearchPage

Query = Annotated[str, Parameter(min_length=1, max_length=300)]
Limit = Annotated[int, Parameter(ge=1, le=100)]
Offset = Annotated[int, Parameter(ge=0, le=10_000)]


@get("/api/v1/search", operation_id="searchLibrary", tags=["search"],
     description='Across your books: words must all occur; "a phrase"; prefix*. Books matching by title or '
     "author come in `books` (first page), passages in `items`, best first.")  # fmt: skip
async def search_library(user: User, q: Query, limit: Limit = 20, offset: Offset = 0) -> SearchPage:
    return await service.search_library(user, q, limit=limit, offset=offset)


@get("/api/v1/books/{book_id:uuid}/search", operation_id="searchBook", tags=["search"])
async def search_book(
    user: User,
    book_id: uuid.UUID,
    q: Query,
    limit: Limit = 20,
    offset: Offset = 0,
    order: Literal["rank", "position"] = "rank",
) -> SearchPage:
    return await service.search_book(user, book_id, q, limit=limit, offset=offset, order=order)


ROUTES = [search_library, search_book]
