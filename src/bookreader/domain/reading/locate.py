"""Where a (chapter, offset) lies in a book: chapter length and words before it, from stored chapters."""

from __future__ import annotations

import uuid
from collections import OrderedDict

import msgspec

from bookreader.core.errors import InvalidInput, NotFound
from bookreader.domain.accounts.tables import User
from bookreader.domain.books.tables import Book, Chapter

# A stored chapter never changes (a re-parse writes the same text) and measuring one reads its whole text:
# each process remembers the last LOCATION_CACHE_SIZE chapters it measured.
LOCATION_CACHE_SIZE = 4096


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


class OwnedBook(msgspec.Struct, frozen=True):
    id: uuid.UUID
    title: str
    authors: list[str]


async def owned_book(user: User, book_id: uuid.UUID) -> OwnedBook:
    """The caller's book (404 for anybody else's), with only what reading needs."""
    row = (
        await Book.select(Book.id, Book.title, Book.authors)
        .output(load_json=True)
        .where(Book.id == book_id, Book.owner == user.id)
        .first()
    )
    if row is None:
        raise NotFound("No such book.", code="book_not_found")
    return OwnedBook(row["id"], row["title"], [str(a) for a in row["authors"] or []])


_locations: OrderedDict[tuple[uuid.UUID, int], Location] = OrderedDict()


def cached_location(book_id: uuid.UUID, chapter: int) -> Location | None:
    """The chapter's measure if this process has it (no round trip), else None."""
    key = (book_id, chapter)
    if (cached := _locations.get(key)) is not None:
        _locations.move_to_end(key)
    return cached


async def locate(book_id: uuid.UUID, chapter: int) -> Location:
    key = (book_id, chapter)
    if (cached := _locations.get(key)) is not None:
        _locations.move_to_end(key)
        return cached
    location = await _measure(book_id, chapter)
    _locations[key] = location
    if len(_locations) > LOCATION_CACHE_SIZE:
        _locations.popitem(last=False)
    return location


async def _measure(book_id: uuid.UUID, chapter: int) -> Location:
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
