from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, delete, get, patch, post, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from bookreader.domain.accounts.tables import User
from bookreader.domain.books.library import Sort
from bookreader.domain.books.schemas import BookPage
from bookreader.domain.books.service import book_read
from bookreader.domain.shelves import service
from bookreader.domain.shelves.schemas import ShelfAdd, ShelfCreate, ShelfOrder, ShelfRead, ShelfUpdate


class ShelfController(Controller):
    path = "/api/v1/shelves"
    tags = ["shelves"]

    @get("/", operation_id="listShelves")
    async def list_shelves(self, user: User) -> list[ShelfRead]:
        return [await service.shelf_read(shelf) for shelf in await service.list_shelves(user)]

    @post("/", operation_id="createShelf", status_code=HTTP_201_CREATED)
    async def create(self, user: User, data: ShelfCreate) -> ShelfRead:
        return await service.shelf_read(await service.create(user, data))

    @get("/{shelf_id:uuid}", operation_id="getShelf")
    async def get_shelf(self, user: User, shelf_id: uuid.UUID) -> ShelfRead:
        return await service.shelf_read(await service.get_shelf(user, shelf_id))

    @patch("/{shelf_id:uuid}", operation_id="updateShelf")
    async def update(self, user: User, shelf_id: uuid.UUID, data: ShelfUpdate) -> ShelfRead:
        return await service.shelf_read(await service.update(user, shelf_id, data))

    @delete("/{shelf_id:uuid}", operation_id="deleteShelf", status_code=HTTP_204_NO_CONTENT)
    async def delete_shelf(self, user: User, shelf_id: uuid.UUID) -> None:
        await service.delete(user, shelf_id)

    @get("/{shelf_id:uuid}/books", operation_id="listShelfBooks")
    async def books(
        self,
        user: User,
        shelf_id: uuid.UUID,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000_000)] = 0,
        sort: Sort | None = None,
        order: Literal["asc", "desc"] | None = None,
    ) -> BookPage:
        descending = None if order is None else order == "desc"
        books, total = await service.shelf_books(
            user, shelf_id, sort=sort, descending=descending, limit=limit, offset=offset
        )
        return BookPage(items=[book_read(b) for b in books], total=total, limit=limit, offset=offset)

    @put(
        "/{shelf_id:uuid}/books/{book_id:uuid}", operation_id="addShelfBook", status_code=HTTP_204_NO_CONTENT
    )
    async def add_book(
        self, user: User, shelf_id: uuid.UUID, book_id: uuid.UUID, data: ShelfAdd | None = None
    ) -> None:
        await service.add_book(user, shelf_id, book_id, data.position if data else None)

    @delete(
        "/{shelf_id:uuid}/books/{book_id:uuid}",
        operation_id="removeShelfBook",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove_book(self, user: User, shelf_id: uuid.UUID, book_id: uuid.UUID) -> None:
        await service.remove_book(user, shelf_id, book_id)

    @put("/{shelf_id:uuid}/order", operation_id="reorderShelf", status_code=HTTP_204_NO_CONTENT)
    async def reorder(self, user: User, shelf_id: uuid.UUID, data: ShelfOrder) -> None:
        await service.reorder(user, shelf_id, data)
