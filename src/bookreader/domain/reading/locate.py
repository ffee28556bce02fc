"""Where a (chapter, offset) lies in a book: chapter length and words before it, from stored chapters."""

from __future__ import annotations

import uuid

import msgspec

from bookreader.core.errors import InvalidInput, NotFound
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book, Chapter


class Location(msgspec.Struct, frozen=True):
    chapter: int
    length: int  # characters in the chapter's plain text
    words_before: int  # words in the chapters before this one
    word_count: int

    def clamp(self, offset: int) -> int:
        return max(0, min(offset, self.length))

    def words_at(self, offset: int) -> float:
        """Words of the book before `offset` (the chapter's words spread evenly over its characters)."""
        return self.words_before + self.word_count * self.clamp(offset) / max(self.length, 1)


async def owned_book(user: User, book_id: uuid.UUID) -> Book:
    book = (
        await Book.objects().output(load_json=True).where(Book.id == book_id, Book.owner == user.id).first()
    )
    if book is None:
        raise NotFound("No such book.", code="book_not_found")
    return book


async def locate(book_id: uuid.UUID, chapter: int) -> Location:
    rows = await Chapter.raw(
        """
        SELECT c.word_count, char_length(c.text) AS length,
               (SELECT coalesce(sum(b.word_count), 0) FROM chapters b WHERE b.book = c.book AND b.number < c.number)
                   AS words_before
        FROM chapters c WHERE c.book = {} AND c.number = {}
        """,
        book_id,
        chapter,
    )
    if not rows:
        raise InvalidInput(f"The book has no chapter {chapter}.", code="chapter_not_found")
    row = rows[0]
    return Location(chapter, row["length"], int(row["words_before"]), row["word_count"])


async def chapter_text(book_id: uuid.UUID, chapter: int) -> str:
    row = await Chapter.select(Chapter.text).where(Chapter.book == book_id, Chapter.number == chapter).first()
    if row is None:
        raise InvalidInput(f"The book has no chapter {chapter}.", code="chapter_not_found")
    return row["text"]
