"""Bookmarks and highlights. A bookmark's offset is clamped like a position's; a highlight's range must lie
inside the chapter (its text is cut by the server, so a wrong range would quote the wrong words)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from bookreader.core.errors import Conflict, InvalidInput, NotFound
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Chapter
from bookreader.domain.reading.locate import chapter_text, locate, owned_book
from bookreader.domain.reading.schemas import (
    BookmarkCreate,
    BookmarkRead,
    BookmarkUpdate,
    HighlightCreate,
    HighlightRead,
    HighlightUpdate,
)
from bookreader.domain.reading.tables import Bookmark, Highlight

# --- bookmarks -----------------------------------------------------------------------------------------


def bookmark_read(row: dict[str, Any]) -> BookmarkRead:
    return BookmarkRead(
        id=row["id"],
        book_id=row["book"],
        chapter=row["chapter"],
        offset=row["char_offset"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def list_bookmarks(
    user: User, book_id: uuid.UUID, *, limit: int = 1000, offset: int = 0
) -> list[BookmarkRead]:
    book = await owned_book(user, book_id)
    rows = (
        await Bookmark.select()
        .where(Bookmark.owner == user.id, Bookmark.book == book.id)
        .order_by(Bookmark.chapter, Bookmark.char_offset, Bookmark.created_at, Bookmark.id)
        .limit(limit)
        .offset(offset)
    )
    return [bookmark_read(row) for row in rows]


async def _default_title(book_id: uuid.UUID, chapter: int) -> str:
    row = (
        await Chapter.select(Chapter.title).where(Chapter.book == book_id, Chapter.number == chapter).first()
    )
    return (row["title"] if row else "") or f"Chapter {chapter}"


async def create_bookmark(
    user: User, book_id: uuid.UUID, data: BookmarkCreate, *, cap: int = 0
) -> BookmarkRead:
    book = await owned_book(user, book_id)
    if cap and await Bookmark.count().where(Bookmark.owner == user.id, Bookmark.book == book.id) >= cap:
        raise Conflict(
            f"A book can have at most {cap} bookmarks; delete some first.", code="too_many_bookmarks"
        )
    location = await locate(book.id, data.chapter)
    title = (data.title or "").strip() or await _default_title(book.id, data.chapter)
    [row] = await Bookmark.insert(
        Bookmark(
            owner=user.id,
            book=book.id,
            chapter=data.chapter,
            char_offset=location.clamp(data.offset),
            title=title,
        )
    ).returning(*Bookmark.all_columns())
    return bookmark_read(row)


async def _own_bookmark(user: User, bookmark_id: uuid.UUID) -> dict[str, Any]:
    row = await Bookmark.select().where(Bookmark.id == bookmark_id, Bookmark.owner == user.id).first()
    if row is None:
        raise NotFound("No such bookmark.", code="bookmark_not_found")
    return row


async def update_bookmark(user: User, bookmark_id: uuid.UUID, data: BookmarkUpdate) -> BookmarkRead:
    row = await _own_bookmark(user, bookmark_id)
    chapter = data.chapter if data.chapter is not None else row["chapter"]
    offset = data.offset if data.offset is not None else row["char_offset"]
    changes: dict[Any, Any] = {Bookmark.updated_at: datetime.now(UTC)}
    if data.chapter is not None or data.offset is not None:
        location = await locate(row["book"], chapter)
        changes |= {Bookmark.chapter: chapter, Bookmark.char_offset: location.clamp(offset)}
    if data.title is not None:
        changes[Bookmark.title] = data.title.strip() or await _default_title(row["book"], chapter)
    [updated] = (
        await Bookmark.update(changes)
        .where(Bookmark.id == bookmark_id, Bookmark.owner == user.id)
        .returning(*Bookmark.all_columns())
    )
    return bookmark_read(updated)


async def delete_bookmark(user: User, bookmark_id: uuid.UUID) -> None:
    deleted = (
        await Bookmark.delete()
        .where(Bookmark.id == bookmark_id, Bookmark.owner == user.id)
        .returning(Bookmark.id)
    )
    if not deleted:
        raise NotFound("No such bookmark.", code="bookmark_not_found")


# --- highlights ----------------------------------------------------------------------------------------


def highlight_read(row: dict[str, Any]) -> HighlightRead:
    return HighlightRead(
        id=row["id"],
        book_id=row["book"],
        chapter=row["chapter"],
        start=row["start"],
        end=row["end"],
        text=row["text"],
        color=row["color"],
        note=row["note"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _cut(text: str, start: int, end: int) -> str:
    if end <= start:
        raise InvalidInput("A highlight's end must be after its start.", code="invalid_range")
    if end > len(text):
        raise InvalidInput(
            f"The range {start}..{end} is outside the chapter ({len(text)} characters).", code="invalid_range"
        )
    quote = text[start:end]
    if not quote.strip():
        raise InvalidInput("The range holds no text.", code="invalid_range")
    return quote


def _note(note: str | None) -> str | None:
    return (note or "").strip() or None


async def list_highlights(
    user: User, book_id: uuid.UUID, chapter: int | None = None, *, limit: int = 1000, offset: int = 0
) -> list[HighlightRead]:
    book = await owned_book(user, book_id)
    where = [Highlight.owner == user.id, Highlight.book == book.id]
    if chapter is not None:
        where.append(Highlight.chapter == chapter)
    rows = (
        await Highlight.select()
        .where(*where)
        .order_by(Highlight.chapter, Highlight.start, Highlight.created_at, Highlight.id)
        .limit(limit)
        .offset(offset)
    )
    return [highlight_read(row) for row in rows]


async def create_highlight(
    user: User, book_id: uuid.UUID, data: HighlightCreate, *, cap: int = 0
) -> HighlightRead:
    book = await owned_book(user, book_id)
    if cap and await Highlight.count().where(Highlight.owner == user.id, Highlight.book == book.id) >= cap:
        raise Conflict(
            f"A book can have at most {cap} highlights; delete some first.", code="too_many_highlights"
        )
    quote = _cut(await chapter_text(book.id, data.chapter), data.start, data.end)
    [row] = await Highlight.insert(
        Highlight(
            owner=user.id, book=book.id, chapter=data.chapter, start=data.start, end=data.end, text=quote,
            color=data.color, note=_note(data.note),
        )
    ).returning(*Highlight.all_columns())  # fmt: skip
    return highlight_read(row)


async def update_highlight(user: User, highlight_id: uuid.UUID, data: HighlightUpdate) -> HighlightRead:
    row = await Highlight.select().where(Highlight.id == highlight_id, Highlight.owner == user.id).first()
    if row is None:
        raise NotFound("No such highlight.", code="highlight_not_found")
    changes: dict[Any, Any] = {Highlight.updated_at: datetime.now(UTC)}
    if data.start is not None or data.end is not None:
        start = data.start if data.start is not None else row["start"]
        end = data.end if data.end is not None else row["end"]
        quote = _cut(await chapter_text(row["book"], row["chapter"]), start, end)
        changes |= {Highlight.start: start, Highlight.end: end, Highlight.text: quote}
    if data.color is not None:
        changes[Highlight.color] = data.color
    if data.note is not msgspec.UNSET:  # `"note": null` clears the note; leaving it out keeps it
        changes[Highlight.note] = _note(data.note)
    [updated] = (
        await Highlight.update(changes)
        .where(Highlight.id == highlight_id, Highlight.owner == user.id)
        .returning(*Highlight.all_columns())
    )
    return highlight_read(updated)


async def delete_highlight(user: User, highlight_id: uuid.UUID) -> None:
    deleted = (
        await Highlight.delete()
        .where(Highlight.id == highlight_id, Highlight.owner == user.id)
        .returning(Highlight.id)
    )
    if not deleted:
        raise NotFound("No such highlight.", code="highlight_not_found")
