from __future__ import annotations

import uuid

import msgspec


class SearchHit(msgspec.Struct):
    book_id: uuid.UUID
    book_title: str
    chapter: int
    offset: int  # character offset of the first matched word in the chapter's plain text
    length: int  # characters of that word
    snippet: str  # HTML: escaped text, the matched words in <mark>
    terms: list[str]  # the words as they appear in the text (for marking them in the reader)
    rank: float


class BookMatch(msgspec.Struct):
    id: uuid.UUID
    title: str
    authors: list[str]


class SearchPage(msgspec.Struct):
    items: list[SearchHit]
    total: int
    limit: int
    offset: int
    books: list[BookMatch] = []
    total_capped: bool = False  # `total` is a lower bound (very broad library searches)  # library search: books whose title or author matches (first page only)
