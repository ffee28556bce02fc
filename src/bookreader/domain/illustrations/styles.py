"""Which style preset a reader's pictures are drawn in: per book, else the reader's default, else the
install's (`BOOKREADER_IMAGE_STYLE`)."""

from __future__ import annotations

import uuid

from bookreader.core.errors import InvalidInput, NotFound
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book
from bookreader.domain.illustrations.schemas import StyleRead
from bookreader.domain.illustrations.tables import ImageStyle
from bookreader.imaging.prompts import STYLES
from bookreader.settings import Settings


def check_style(style: str) -> str:
    if style not in STYLES:
        raise InvalidInput(
            f"Unknown style {style!r}; choose one of {', '.join(STYLES)}.", code="unknown_style"
        )
    return style


async def effective_style(user_id: uuid.UUID, book_id: uuid.UUID | None, settings: Settings) -> StyleRead:
    rows = await ImageStyle.select(ImageStyle.book, ImageStyle.style).where(ImageStyle.owner == user_id)
    by_book = {row["book"]: row["style"] for row in rows}
    if book_id is not None and book_id in by_book:
        return StyleRead(by_book[book_id], "book")
    if None in by_book:
        return StyleRead(by_book[None], "user")
    return StyleRead(settings.image_style if settings.image_style in STYLES else "watercolor", "default")


async def book_style(user: User, book_id: uuid.UUID, settings: Settings) -> StyleRead:
    if not await Book.exists().where(Book.id == book_id, Book.owner == user.id):
        raise NotFound("No such book.", code="book_not_found")
    return await effective_style(user.id, book_id, settings)


async def set_style(
    user: User, book_id: uuid.UUID | None, style: str | None, settings: Settings
) -> StyleRead:
    if book_id is not None and not await Book.exists().where(Book.id == book_id, Book.owner == user.id):
        raise NotFound("No such book.", code="book_not_found")
    where = [ImageStyle.owner == user.id]
    where.append(ImageStyle.book.is_null() if book_id is None else ImageStyle.book == book_id)
    async with ImageStyle._meta.db.transaction():
        await ImageStyle.delete().where(*where)
        if style is not None:
            await ImageStyle.insert(ImageStyle(owner=user.id, book=book_id, style=check_style(style)))
    return await effective_style(user.id, book_id, settings)
