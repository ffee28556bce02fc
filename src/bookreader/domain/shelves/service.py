"""Shelves: manual ones (add, remove, reorder books) and smart ones (a saved library filter)."""

from __future__ import annotations

import uuid

import msgspec
from asyncpg.exceptions import UniqueViolationError

from bookreader.core.errors import Conflict, InvalidInput, NotFound
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.library import LibraryFilter, Sort, list_library
from bookreader.domain.books.service import get_book
from bookreader.domain.books.tables import Book
from bookreader.domain.shelves.schemas import ShelfCreate, ShelfOrder, ShelfRead, ShelfUpdate
from bookreader.domain.shelves.tables import Shelf, ShelfBook

MAX_SHELVES = 200


def _filter(raw) -> LibraryFilter | None:
    return msgspec.convert(raw, LibraryFilter) if raw else None


async def _count(shelf: Shelf) -> int:
    if shelf.kind == "manual":
        return await ShelfBook.count().where(ShelfBook.shelf == shelf.id)
    return (await list_library(shelf.owner, _filter(shelf.filter) or LibraryFilter(), limit=1))[1]


async def shelf_read(shelf: Shelf) -> ShelfRead:
    return ShelfRead(
        id=shelf.id, name=shelf.name, kind=shelf.kind,
        filter=_filter(shelf.filter) if shelf.kind == "smart" else None,
        position=shelf.position, book_count=await _count(shelf), created_at=shelf.created_at,
    )  # fmt: skip


async def get_shelf(user: User, shelf_id: uuid.UUID) -> Shelf:
    shelf = (
        await Shelf.objects()
        .output(load_json=True)
        .where(Shelf.id == shelf_id, Shelf.owner == user.id)
        .first()
    )
    if shelf is None:
        raise NotFound("No such shelf.", code="shelf_not_found")
    return shelf


async def list_shelves(user: User) -> list[Shelf]:
    return (
        await Shelf.objects()
        .output(load_json=True)
        .where(Shelf.owner == user.id)
        .order_by(Shelf.position)
        .order_by(Shelf.created_at)
    )


async def create(user: User, data: ShelfCreate) -> Shelf:
    if data.kind == "smart" and data.filter is None:
        raise InvalidInput("A smart shelf needs a filter.", code="filter_required")
    if await Shelf.count().where(Shelf.owner == user.id) >= MAX_SHELVES:
        raise InvalidInput(f"At most {MAX_SHELVES} shelves.", code="too_many_shelves")
    position = await Shelf.count().where(Shelf.owner == user.id)
    saved = msgspec.to_builtins(data.filter) if data.kind == "smart" else {}
    shelf = Shelf(owner=user.id, name=data.name.strip(), kind=data.kind, filter=saved, position=position)
    await shelf.save()
    return await get_shelf(user, shelf.id)


async def update(user: User, shelf_id: uuid.UUID, data: ShelfUpdate) -> Shelf:
    shelf = await get_shelf(user, shelf_id)
    values: dict = {}
    if data.name is not None:
        values[Shelf.name] = data.name.strip()
    if data.position is not None:
        values[Shelf.position] = data.position
    if data.filter is not None:
        if shelf.kind != "smart":
            raise InvalidInput("Only smart shelves have a filter.", code="not_smart")
        values[Shelf.filter] = msgspec.to_builtins(data.filter)
    if values:
        await Shelf.update(values).where(Shelf.id == shelf.id)
    return await get_shelf(user, shelf_id)


async def delete(user: User, shelf_id: uuid.UUID) -> None:
    shelf = await get_shelf(user, shelf_id)
    await Shelf.delete().where(Shelf.id == shelf.id)  # the books stay in the library


async def _manual(user: User, shelf_id: uuid.UUID) -> Shelf:
    shelf = await get_shelf(user, shelf_id)
    if shelf.kind != "manual":
        raise Conflict("A smart shelf fills itself from its filter.", code="smart_shelf")
    return shelf


async def add_book(user: User, shelf_id: uuid.UUID, book_id: uuid.UUID, position: int | None) -> None:
    shelf = await _manual(user, shelf_id)
    book = await get_book(user, book_id)
    if position is None:
        last = await ShelfBook.raw("SELECT max(position) AS m FROM shelf_books WHERE shelf = {}", shelf.id)
        position = (last[0]["m"] + 1) if last and last[0]["m"] is not None else 0
    try:
        await ShelfBook.insert(ShelfBook(shelf=shelf.id, book=book.id, position=position))
    except UniqueViolationError:  # already there: adding again is fine
        await ShelfBook.update({ShelfBook.position: position}).where(
            ShelfBook.shelf == shelf.id, ShelfBook.book == book.id
        )


async def remove_book(user: User, shelf_id: uuid.UUID, book_id: uuid.UUID) -> None:
    shelf = await _manual(user, shelf_id)
    removed = (
        await ShelfBook.delete()
        .where(ShelfBook.shelf == shelf.id, ShelfBook.book == book_id)
        .returning(ShelfBook.book)
    )
    if not removed:
        raise NotFound("The book is not on this shelf.", code="book_not_on_shelf")


async def reorder(user: User, shelf_id: uuid.UUID, data: ShelfOrder) -> None:
    """`book_ids` in their new order; books of the shelf not named keep their order after them."""
    shelf = await _manual(user, shelf_id)
    current = (
        await ShelfBook.select(ShelfBook.book).where(ShelfBook.shelf == shelf.id).order_by(ShelfBook.position)
    )
    on_shelf = [row["book"] for row in current]
    unknown = [str(b) for b in data.book_ids if b not in set(on_shelf)]
    if unknown:
        raise InvalidInput(f"Not on this shelf: {', '.join(unknown[:5])}", code="book_not_on_shelf")
    named = list(dict.fromkeys(data.book_ids))
    order = named + [b for b in on_shelf if b not in set(named)]
    async with ShelfBook._meta.db.transaction():
        for position, book_id in enumerate(order):
            await ShelfBook.update({ShelfBook.position: position}).where(
                ShelfBook.shelf == shelf.id, ShelfBook.book == book_id
            )


async def shelf_books(
    user: User, shelf_id: uuid.UUID, *, sort: Sort | None, descending: bool | None, limit: int, offset: int
) -> tuple[list[Book], int]:
    shelf = await get_shelf(user, shelf_id)
    if shelf.kind == "manual":
        return await list_library(
            user.id, LibraryFilter(), sort=sort or "shelf", descending=descending, limit=limit, offset=offset,
            shelf=shelf.id,
        )  # fmt: skip
    return await list_library(
        user.id, _filter(shelf.filter) or LibraryFilter(), sort=sort or "recently_added",
        descending=descending, limit=limit, offset=offset,
    )  # fmt: skip
